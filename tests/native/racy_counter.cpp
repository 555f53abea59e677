// SPDX-License-Identifier: Apache-2.0
// A data race no synchronisation call is near: two threads increment a
// plain int (load, add, store) with no lock at all. Built with
// -fsanitize=thread and linked against the interposer, every access is a
// possible scheduling point under `nmz inspectors native -tsan`. Plain runs
// almost never interleave the two increments. Exit status 1 when an
// increment was lost.
#include <pthread.h>

#include <cstdio>

namespace {

int g_counter = 0;

void* increment(void*) {
  g_counter = g_counter + 1;
  return nullptr;
}

}  // namespace

int main() {
  pthread_t threads[2];
  for (pthread_t& t : threads) pthread_create(&t, nullptr, increment, nullptr);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  if (g_counter != 2) {
    std::fprintf(stderr, "lost increment: counter is %d, expected 2\n", g_counter);
    return 1;
  }
  return 0;
}
