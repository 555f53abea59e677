// SPDX-License-Identifier: Apache-2.0
// Check-then-act on a plain flag: each of three threads initialises a
// shared resource if the `initialised` flag is not set yet, then sets it.
// Two threads that both check before either sets initialise twice. No call
// separates the check from the act: only memory accesses as scheduling
// points (`-tsan`) can get between them. `--fixed`: check and act under a
// mutex. Exit status 1 when the resource was initialised more than once.
#include <pthread.h>

#include <cstdio>

#include "bundled_program.hpp"

namespace {

constexpr int kThreads = 3;
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
bool g_fixed = false;
bool g_initialised = false;
int g_initialisations = 0;

void* user(void*) {
  if (g_fixed) pthread_mutex_lock(&g_lock);
  if (!g_initialised) {
    g_initialisations = g_initialisations + 1;
    g_initialised = true;
  }
  if (g_fixed) pthread_mutex_unlock(&g_lock);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  run_threads(kThreads, user);
  if (g_initialisations != 1) {
    std::fprintf(stderr, "initialised %d times, expected once\n", g_initialisations);
    return 1;
  }
  return 0;
}
