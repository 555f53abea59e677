// SPDX-License-Identifier: Apache-2.0
// Two threads take two mutexes in opposite orders. With `--always`, a
// semaphore handshake makes each hold its first mutex before trying the
// second, so every schedule deadlocks (run plain, it hangs forever); without
// it the deadlock needs an unlucky interleaving. Exit status 0 when both
// threads got through.
#include <pthread.h>
#include <semaphore.h>

#include <cstring>

namespace {

pthread_mutex_t g_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t g_b = PTHREAD_MUTEX_INITIALIZER;
sem_t g_holds_a;
sem_t g_holds_b;
bool g_always = false;

void* take_a_then_b(void*) {
  pthread_mutex_lock(&g_a);
  if (g_always) {
    sem_post(&g_holds_a);
    sem_wait(&g_holds_b);
  }
  pthread_mutex_lock(&g_b);
  pthread_mutex_unlock(&g_b);
  pthread_mutex_unlock(&g_a);
  return nullptr;
}

void* take_b_then_a(void*) {
  pthread_mutex_lock(&g_b);
  if (g_always) {
    sem_post(&g_holds_b);
    sem_wait(&g_holds_a);
  }
  pthread_mutex_lock(&g_a);
  pthread_mutex_unlock(&g_a);
  pthread_mutex_unlock(&g_b);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_always = argc > 1 && std::strcmp(argv[1], "--always") == 0;
  sem_init(&g_holds_a, 0, 0);
  sem_init(&g_holds_b, 0, 0);
  pthread_t first;
  pthread_t second;
  pthread_create(&first, nullptr, take_a_then_b, nullptr);
  pthread_create(&second, nullptr, take_b_then_a, nullptr);
  pthread_join(first, nullptr);
  pthread_join(second, nullptr);
  return 0;
}
