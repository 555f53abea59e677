// SPDX-License-Identifier: Apache-2.0
// Condition-variable misuse, `if` instead of `while`: two consumers take
// items from a queue, waiting once when it is empty. A waiter woken by the
// producer's signal does not look again after it re-acquires the mutex, so
// when another consumer took the item in between, it takes from an empty
// queue. `--fixed`: wait in a while loop. Exit status 1 when an item was
// taken from an empty queue.
#include <pthread.h>

#include <cstdio>

#include "bundled_program.hpp"

namespace {

constexpr int kConsumers = 2;
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_not_empty = PTHREAD_COND_INITIALIZER;
bool g_fixed = false;
int g_items = 0;
bool g_underflow = false;

void* consumer(void*) {
  pthread_mutex_lock(&g_lock);
  if (g_fixed) {
    while (g_items == 0) pthread_cond_wait(&g_not_empty, &g_lock);
  } else if (g_items == 0) {
    pthread_cond_wait(&g_not_empty, &g_lock);
  }
  g_items = g_items - 1;
  if (g_items < 0) g_underflow = true;
  pthread_mutex_unlock(&g_lock);
  return nullptr;
}

void* producer(void*) {
  for (int i = 0; i < kConsumers; ++i) {
    pthread_mutex_lock(&g_lock);
    g_items = g_items + 1;
    pthread_cond_signal(&g_not_empty);
    pthread_mutex_unlock(&g_lock);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  pthread_t threads[kConsumers + 1];
  for (int i = 0; i < kConsumers; ++i) pthread_create(&threads[i], nullptr, consumer, nullptr);
  pthread_create(&threads[kConsumers], nullptr, producer, nullptr);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  if (g_underflow) {
    std::fprintf(stderr, "a consumer took an item from an empty queue\n");
    return 1;
  }
  return 0;
}
