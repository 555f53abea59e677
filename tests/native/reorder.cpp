// SPDX-License-Identifier: Apache-2.0
// A two-variable invariant broken by a data race with no synchronisation
// call near it (after the reorder programs of SCTBench): the setter writes
// a, then b; the checker reads both and expects the pair (0, 0) or (1, -1).
// It fails only when the checker's two reads fall between the setter's two
// writes, or the setter's writes between the reads: no lock, join or
// create is in between, so only memory accesses as scheduling points
// (`-tsan`, with the program built with -fsanitize=thread) can reach it.
// `--fixed`: both sides hold a mutex. Exit status 1 on a broken invariant.
#include <pthread.h>

#include <cstdio>

#include "bundled_program.hpp"

namespace {

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
bool g_fixed = false;
int g_a = 0;
int g_b = 0;

void* setter(void*) {
  if (g_fixed) pthread_mutex_lock(&g_lock);
  g_a = 1;
  g_b = -1;
  if (g_fixed) pthread_mutex_unlock(&g_lock);
  return nullptr;
}

void* checker(void* broken) {
  if (g_fixed) pthread_mutex_lock(&g_lock);
  int a = g_a;
  int b = g_b;
  if (g_fixed) pthread_mutex_unlock(&g_lock);
  if (!((a == 0 && b == 0) || (a == 1 && b == -1))) {
    std::fprintf(stderr, "invariant broken: a=%d b=%d\n", a, b);
    *static_cast<bool*>(broken) = true;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  bool broken = false;
  pthread_t threads[2];
  pthread_create(&threads[0], nullptr, setter, nullptr);
  pthread_create(&threads[1], nullptr, checker, &broken);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  return broken ? 1 : 0;
}
