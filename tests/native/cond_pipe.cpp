// SPDX-License-Identifier: Apache-2.0
// A bounded producer/consumer queue on condition variables (one wait is a
// timed wait), while another thread sits in read() on a pipe that nobody
// writes to until the queue work is done. Under a controlled scheduler the
// reader blocks in the kernel while it holds the turn: the run must still
// finish. Exit status 0 when every item arrived and the reader got its byte.
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace {

constexpr int kItems = 200;
constexpr int kCapacity = 4;

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_not_empty = PTHREAD_COND_INITIALIZER;
pthread_cond_t g_not_full = PTHREAD_COND_INITIALIZER;
int g_queue[kCapacity];
int g_head = 0;
int g_size = 0;
long g_sum = 0;
int g_pipe[2];
char g_received = 0;

void* reader(void*) {
  if (read(g_pipe[0], &g_received, 1) != 1) g_received = 0;
  return nullptr;
}

void* producer(void*) {
  for (int i = 1; i <= kItems; ++i) {
    pthread_mutex_lock(&g_lock);
    while (g_size == kCapacity) pthread_cond_wait(&g_not_full, &g_lock);
    g_queue[(g_head + g_size) % kCapacity] = i;
    ++g_size;
    pthread_cond_signal(&g_not_empty);
    pthread_mutex_unlock(&g_lock);
  }
  return nullptr;
}

void* consumer(void*) {
  for (int i = 0; i < kItems; ++i) {
    pthread_mutex_lock(&g_lock);
    while (g_size == 0) {
      timespec deadline{};
      clock_gettime(CLOCK_REALTIME, &deadline);
      deadline.tv_sec += 30;
      pthread_cond_timedwait(&g_not_empty, &g_lock, &deadline);
    }
    g_sum += g_queue[g_head];
    g_head = (g_head + 1) % kCapacity;
    --g_size;
    pthread_cond_signal(&g_not_full);
    pthread_mutex_unlock(&g_lock);
  }
  return nullptr;
}

}  // namespace

int main() {
  if (pipe(g_pipe) != 0) return 2;
  pthread_t threads[3];
  pthread_create(&threads[0], nullptr, reader, nullptr);
  pthread_create(&threads[1], nullptr, producer, nullptr);
  pthread_create(&threads[2], nullptr, consumer, nullptr);
  pthread_join(threads[1], nullptr);
  pthread_join(threads[2], nullptr);
  if (write(g_pipe[1], "x", 1) != 1) return 2;
  pthread_join(threads[0], nullptr);
  long expected = static_cast<long>(kItems) * (kItems + 1) / 2;
  if (g_sum != expected || g_received != 'x') {
    std::fprintf(stderr, "sum %ld (expected %ld), reader got %d\n", g_sum, expected, g_received);
    return 1;
  }
  return 0;
}
