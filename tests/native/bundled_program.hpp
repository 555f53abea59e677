// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <pthread.h>

#include <cstring>

// What the bundled buggy programs share. Each has a fixed twin, selected by
// `--fixed` as the first argument, which must never fail under any schedule.
inline bool fixed_twin(int argc, char** argv) { return argc > 1 && std::strcmp(argv[1], "--fixed") == 0; }

// Starts `count` (at most 16) threads running `start(arg)` and joins them.
inline void run_threads(int count, void* (*start)(void*), void* arg = nullptr) {
  pthread_t threads[16];
  if (count > 16) count = 16;
  for (int i = 0; i < count; ++i) pthread_create(&threads[i], nullptr, start, arg);
  for (int i = 0; i < count; ++i) pthread_join(threads[i], nullptr);
}
