// SPDX-License-Identifier: Apache-2.0
// A many-thread bug at synchronisation points: six workers each leave (the
// active count goes down under a lock) and then, in a second critical
// section, check whether they were the last one out, who must finish the
// job exactly once. Two workers that both leave before either checks both
// see zero. `--fixed`: leave and check in one critical section. Exit
// status 1 when the job was finished other than once.
#include <pthread.h>

#include <cstdio>

#include "bundled_program.hpp"

namespace {

constexpr int kWorkers = 6;
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
bool g_fixed = false;
int g_active = kWorkers;
int g_finished = 0;

void* worker(void*) {
  pthread_mutex_lock(&g_lock);
  g_active = g_active - 1;
  bool last = g_active == 0;
  if (!g_fixed) {
    pthread_mutex_unlock(&g_lock);
    pthread_mutex_lock(&g_lock);
    last = g_active == 0;
  }
  if (last) g_finished = g_finished + 1;
  pthread_mutex_unlock(&g_lock);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  run_threads(kWorkers, worker);
  if (g_finished != 1) {
    std::fprintf(stderr, "the job was finished %d times, expected once\n", g_finished);
    return 1;
  }
  return 0;
}
