// SPDX-License-Identifier: Apache-2.0
// Condition-variable misuse, signal before wait: the consumer checks the
// `ready` flag without holding the mutex and then waits, once. If the
// producer sets the flag and signals between the check and the wait, the
// signal finds no waiter and the consumer waits forever. `--fixed`: check
// under the mutex, in a while loop. A run that loses the wake-up hangs
// when run plainly; under nmz the controller reports the deadlock.
#include <pthread.h>

#include "bundled_program.hpp"

namespace {

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_ready_changed = PTHREAD_COND_INITIALIZER;
bool g_fixed = false;
bool g_ready = false;

void* consumer(void*) {
  if (g_fixed) {
    pthread_mutex_lock(&g_lock);
    while (!g_ready) pthread_cond_wait(&g_ready_changed, &g_lock);
    pthread_mutex_unlock(&g_lock);
  } else if (!__atomic_load_n(&g_ready, __ATOMIC_ACQUIRE)) {
    // The bug: the flag is checked before the mutex is taken, once.
    pthread_mutex_lock(&g_lock);
    pthread_cond_wait(&g_ready_changed, &g_lock);
    pthread_mutex_unlock(&g_lock);
  }
  return nullptr;
}

void* producer(void*) {
  pthread_mutex_lock(&g_lock);
  __atomic_store_n(&g_ready, true, __ATOMIC_RELEASE);
  pthread_cond_signal(&g_ready_changed);
  pthread_mutex_unlock(&g_lock);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  pthread_t threads[2];
  pthread_create(&threads[0], nullptr, consumer, nullptr);
  pthread_create(&threads[1], nullptr, producer, nullptr);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  return 0;
}
