// SPDX-License-Identifier: Apache-2.0
// A lock-order deadlock among three threads (dining philosophers): each
// takes its left fork, then its right one, so when all three hold their
// left fork nobody gets a right one. `--fixed`: every philosopher takes
// the lower-numbered fork first (one global lock order). A deadlocked run
// hangs when run plainly; under nmz the controller reports it.
#include <pthread.h>

#include <cstdint>

#include "bundled_program.hpp"

namespace {

constexpr int kPhilosophers = 3;
pthread_mutex_t g_forks[kPhilosophers] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                          PTHREAD_MUTEX_INITIALIZER};
bool g_fixed = false;
int g_meals = 0;

void* philosopher(void* seat) {
  int left = static_cast<int>(reinterpret_cast<std::intptr_t>(seat));
  int right = (left + 1) % kPhilosophers;
  int first = g_fixed && right < left ? right : left;
  int second = first == left ? right : left;
  pthread_mutex_lock(&g_forks[first]);
  pthread_mutex_lock(&g_forks[second]);
  g_meals = g_meals + 1;
  pthread_mutex_unlock(&g_forks[second]);
  pthread_mutex_unlock(&g_forks[first]);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  pthread_t threads[kPhilosophers];
  for (int i = 0; i < kPhilosophers; ++i) {
    pthread_create(&threads[i], nullptr, philosopher, reinterpret_cast<void*>(static_cast<std::intptr_t>(i)));
  }
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  return g_meals == kPhilosophers ? 0 : 1;
}
