// SPDX-License-Identifier: Apache-2.0
// Shared by the flaky example targets: CPU work whose duration depends on
// how much CPU the thread gets (so scheduling moves it, unlike sleeping),
// the failure signal (one line on stderr, exit status 1) and a watchdog for
// bugs that hang.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace flaky {

// About a microsecond of CPU per unit on a current x86 core.
inline void burn(long units) {
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (long i = 0; i < units * 1024; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    asm volatile("" : "+r"(x));  // keeps the loop from being folded away
  }
}

[[noreturn]] inline void fail(const char* target, const std::string& what) {
  std::fprintf(stderr, "%s: FAILED: %s\n", target, what.c_str());
  std::fflush(stderr);
  _exit(1);
}

// Fails with `what` when neither progress() nor done() was called for
// `limit`. Hung threads cannot be joined, so failing means leaving the
// process at once.
class Watchdog {
 public:
  Watchdog(const char* target, std::string what, std::chrono::milliseconds limit)
      : thread_([this, target, what = std::move(what), limit] {
          std::unique_lock lock(mutex_);
          for (;;) {
            long seen = progress_;
            if (cv_.wait_for(lock, limit, [&] { return done_ || progress_ != seen; })) {
              if (done_) return;
              continue;
            }
            fail(target, what);
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { done(); }

  void progress() {
    {
      std::lock_guard lock(mutex_);
      ++progress_;
    }
    cv_.notify_one();
  }

  void done() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  long progress_ = 0;
  std::thread thread_;
};

}  // namespace flaky
