// SPDX-License-Identifier: Apache-2.0
// A two-variable invariant inside busier code: the producer fills and sums
// a sample buffer (hundreds of memory accesses that race with nothing),
// then publishes the count and the sum as two plain writes. The reader does
// its own work on its own buffer, then reads count and sum and checks that
// they belong together. Only a preemption between the two writes (or the
// two reads) shows the bug. With every access a scheduling point (-tsan),
// those few points drown among a thousand harmless ones; race-directed
// scheduling (-tsan -races) keeps only the racing ones. `--fixed`: publish
// and read under a mutex. Exit status 1 when the reader saw a torn pair.
#include <pthread.h>

#include <cstdio>

#include "bundled_program.hpp"

namespace {

constexpr int kSamples = 200;
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
bool g_fixed = false;
int g_samples[kSamples];
int g_scratch[kSamples];
int g_count = 0;
long g_sum = 0;

long expected_sum(int count) { return static_cast<long>(count) * (count - 1) / 2; }

void* producer(void*) {
  long sum = 0;
  for (int i = 0; i < kSamples; ++i) g_samples[i] = i;
  for (int i = 0; i < kSamples; ++i) sum += g_samples[i];
  if (g_fixed) pthread_mutex_lock(&g_lock);
  g_count = kSamples;
  g_sum = sum;
  if (g_fixed) pthread_mutex_unlock(&g_lock);
  return nullptr;
}

void* reader(void* torn) {
  for (int i = 0; i < kSamples; ++i) g_scratch[i] = kSamples - i;
  for (int i = 1; i < kSamples; ++i) g_scratch[i] += g_scratch[i - 1];
  if (g_fixed) pthread_mutex_lock(&g_lock);
  int count = g_count;
  long sum = g_sum;
  if (g_fixed) pthread_mutex_unlock(&g_lock);
  if (sum != expected_sum(count)) {
    std::fprintf(stderr, "torn snapshot: count %d with sum %ld\n", count, sum);
    *static_cast<bool*>(torn) = true;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  bool torn = false;
  pthread_t threads[2];
  pthread_create(&threads[0], nullptr, producer, nullptr);
  pthread_create(&threads[1], nullptr, reader, &torn);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  return torn ? 1 : 0;
}
