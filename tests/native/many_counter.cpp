// SPDX-License-Identifier: Apache-2.0
// A lost update among many threads, with no lock at all: six threads each
// add 1 to a plain counter twice. An increment is a load and a store with
// nothing in between, so only memory accesses as scheduling points
// (`-tsan`) can interleave two of them. `--fixed`: the increments hold a
// mutex. Exit status 1 when an increment was lost.
#include <pthread.h>

#include <cstdio>

#include "fixed_flag.hpp"

namespace {

constexpr int kThreads = 6;
constexpr int kIncrements = 2;
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
bool g_fixed = false;
int g_counter = 0;

void* worker(void*) {
  for (int i = 0; i < kIncrements; ++i) {
    if (g_fixed) pthread_mutex_lock(&g_lock);
    g_counter = g_counter + 1;
    if (g_fixed) pthread_mutex_unlock(&g_lock);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  pthread_t threads[kThreads];
  for (pthread_t& t : threads) pthread_create(&t, nullptr, worker, nullptr);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  if (g_counter != kThreads * kIncrements) {
    std::fprintf(stderr, "lost increment: counter is %d, expected %d\n", g_counter, kThreads * kIncrements);
    return 1;
  }
  return 0;
}
