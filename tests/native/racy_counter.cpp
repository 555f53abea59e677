// SPDX-License-Identifier: Apache-2.0
// A data race no synchronisation call is near: two threads increment a
// plain int (load, add, store) with no lock at all. Built with
// -fsanitize=thread and linked against the interposer, every access is a
// possible scheduling point under `nmz inspectors native -tsan`. Plain runs
// almost never interleave the two increments. `--fixed`: the increments
// hold a mutex. Exit status 1 when an increment was lost.
#include <pthread.h>

#include <cstdio>

#include "fixed_flag.hpp"

namespace {

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
bool g_fixed = false;
int g_counter = 0;

void* increment(void*) {
  if (g_fixed) pthread_mutex_lock(&g_lock);
  g_counter = g_counter + 1;
  if (g_fixed) pthread_mutex_unlock(&g_lock);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  pthread_t threads[2];
  for (pthread_t& t : threads) pthread_create(&t, nullptr, increment, nullptr);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  if (g_counter != 2) {
    std::fprintf(stderr, "lost increment: counter is %d, expected 2\n", g_counter);
    return 1;
  }
  return 0;
}
