// SPDX-License-Identifier: Apache-2.0
// An ordering bug that needs one unlucky interleaving of synchronisation
// operations: each worker increments a shared counter in two critical
// sections (read, then write back), so a worker that reads between the
// other's read and write loses an update. Plain runs almost never show it:
// the first worker is done long before the second one starts.
// `--fixed` does the increment in one critical section (never fails).
// Exit status: 0 when the counter is right, 1 when an update was lost.
#include <pthread.h>

#include <cstdio>
#include <cstring>

namespace {

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
int g_counter = 0;
bool g_fixed = false;

void* worker(void*) {
  if (g_fixed) {
    pthread_mutex_lock(&g_lock);
    g_counter = g_counter + 1;
    pthread_mutex_unlock(&g_lock);
    return nullptr;
  }
  pthread_mutex_lock(&g_lock);
  int seen = g_counter;
  pthread_mutex_unlock(&g_lock);
  pthread_mutex_lock(&g_lock);
  g_counter = seen + 1;
  pthread_mutex_unlock(&g_lock);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = argc > 1 && std::strcmp(argv[1], "--fixed") == 0;
  pthread_t threads[2];
  for (pthread_t& t : threads) pthread_create(&t, nullptr, worker, nullptr);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  if (g_counter != 2) {
    std::fprintf(stderr, "lost update: counter is %d, expected 2\n", g_counter);
    return 1;
  }
  return 0;
}
