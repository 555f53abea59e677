// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <pthread.h>
#include <time.h>

#include <cstdint>

#include "futex_lock.hpp"
#include "scheduler.hpp"

// Absolute time-outs of the wrapped calls, turned into CLOCK_MONOTONIC
// deadlines (what the scheduler compares).
namespace nmz::native::preload {

inline bool valid_timespec(const timespec* t) {
  return t != nullptr && t->tv_nsec >= 0 && t->tv_nsec < 1000000000;
}

inline std::int64_t monotonic_deadline(clockid_t clock, const timespec* abstime) {
  timespec now{};
  clock_gettime(clock, &now);
  std::int64_t remaining = (static_cast<std::int64_t>(abstime->tv_sec) - now.tv_sec) * 1000000000 +
                           (abstime->tv_nsec - now.tv_nsec);
  return monotonic_ns() + (remaining > 0 ? remaining : 0);
}

// The clock a condition variable's timed waits use: glibc (2.25 and later)
// keeps pthread_condattr_setclock's choice in bit 1 of __wrefs.
inline clockid_t cond_clock(const pthread_cond_t* c) {
  return (c->__data.__wrefs & 2U) != 0 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

}  // namespace nmz::native::preload
