// SPDX-License-Identifier: Apache-2.0
// A data race no synchronisation call is near: THREADS threads (default 2)
// each increment a plain int INCREMENTS times (default 1), with no lock at
// all. An increment is a load and a store with nothing in between. Built
// with -fsanitize=thread and linked against the interposer, every access is
// a possible scheduling point under `nmz inspectors native -tsan`. Plain
// runs almost never interleave two increments. `--fixed`: the increments
// hold a mutex. Exit status 1 when an increment was lost.
//
//   racy_counter [--fixed] [THREADS [INCREMENTS]]
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "bundled_program.hpp"

namespace {

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
bool g_fixed = false;
int g_counter = 0;

// The count comes as the argument, not from a global: a global would add a
// read (a scheduling point under -tsan) to every iteration.
void* increment(void* increments) {
  for (auto i = reinterpret_cast<std::intptr_t>(increments); i > 0; --i) {
    if (g_fixed) pthread_mutex_lock(&g_lock);
    g_counter = g_counter + 1;
    if (g_fixed) pthread_mutex_unlock(&g_lock);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  int first = g_fixed ? 2 : 1;
  int threads = argc > first ? std::atoi(argv[first]) : 2;
  int increments = argc > first + 1 ? std::atoi(argv[first + 1]) : 1;
  if (threads < 1 || threads > 16 || increments < 1) {
    std::fprintf(stderr, "usage: racy_counter [--fixed] [THREADS (1..16) [INCREMENTS]]\n");
    return 2;
  }
  run_threads(threads, increment, reinterpret_cast<void*>(static_cast<std::intptr_t>(increments)));
  if (g_counter != threads * increments) {
    std::fprintf(stderr, "lost increment: counter is %d, expected %d\n", g_counter, threads * increments);
    return 1;
  }
  return 0;
}
