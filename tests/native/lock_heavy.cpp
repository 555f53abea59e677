// SPDX-License-Identifier: Apache-2.0
// THREADS threads each take one shared mutex ITERATIONS times (default 4 x
// 500000: two million lock/unlock pairs) to bump a counter. Exit status 0
// when the count is exact. With a third argument `--time`, prints the
// milliseconds the threads took and the CPU time the process used until
// then ("elapsed_ms N cpu_ms M"): what the benchmark compares, without
// process start-up.
#include <pthread.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
long g_counter = 0;
long g_iterations = 500000;

void* worker(void*) {
  for (long i = 0; i < g_iterations; ++i) {
    pthread_mutex_lock(&g_lock);
    ++g_counter;
    pthread_mutex_unlock(&g_lock);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  if (argc > 2) g_iterations = std::atol(argv[2]);
  if (threads < 1 || threads > 64 || g_iterations < 1) {
    std::fprintf(stderr, "usage: lock_heavy [THREADS 1..64] [ITERATIONS]\n");
    return 2;
  }
  timespec start{};
  timespec end{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  pthread_t handles[64];
  for (int i = 0; i < threads; ++i) pthread_create(&handles[i], nullptr, worker, nullptr);
  for (int i = 0; i < threads; ++i) pthread_join(handles[i], nullptr);
  clock_gettime(CLOCK_MONOTONIC, &end);
  timespec cpu{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  if (argc > 3 && std::strcmp(argv[3], "--time") == 0) {
    std::printf("elapsed_ms %.3f cpu_ms %.3f\n", (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6,
                cpu.tv_sec * 1e3 + cpu.tv_nsec / 1e6);
  }
  if (g_counter != threads * g_iterations) {
    std::fprintf(stderr, "counter %ld, expected %ld\n", g_counter, threads * g_iterations);
    return 1;
  }
  return 0;
}
