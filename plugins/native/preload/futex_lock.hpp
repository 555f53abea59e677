// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

// Waiting primitives of the interposer. They call the kernel directly: the
// pthread ones are what the interposer itself replaces.
namespace nmz::native::preload {

inline void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const timespec* relative) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, relative, nullptr, 0);
}

inline void futex_wake(std::atomic<std::uint32_t>& word, int count) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

inline std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Drepper's three-state futex mutex ("Futexes are tricky", mutex 2).
class FutexLock {
 public:
  void lock() {
    std::uint32_t c = 0;
    if (word_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
    if (c != 2) c = word_.exchange(2, std::memory_order_acquire);
    while (c != 0) {
      futex_wait(word_, 2, nullptr);
      c = word_.exchange(2, std::memory_order_acquire);
    }
  }
  void unlock() {
    if (word_.exchange(0, std::memory_order_release) != 1) futex_wake(word_, 1);
  }

 private:
  std::atomic<std::uint32_t> word_{0};
};

}  // namespace nmz::native::preload
