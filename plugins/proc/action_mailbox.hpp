// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include <nmz/sdk/signal.hpp>

namespace nmz::plugins::proc {

// Hands actions and the stop request from host threads to the inspector's
// loop, which sleeps in poll() on fd(). Thread-safe.
class ActionMailbox {
 public:
  ActionMailbox();
  ActionMailbox(const ActionMailbox&) = delete;
  ActionMailbox& operator=(const ActionMailbox&) = delete;
  ~ActionMailbox();

  // Never blocks. Actions posted after close() are dropped (they came after
  // inspection ended).
  void post(sdk::Action action);
  void request_stop();
  void close();
  // Accepts actions again after close(): the next run of a loop.
  void reopen();

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] bool stop_requested() const noexcept { return stop_.load(); }
  // Moves the posted actions into `out` and clears the wake-up.
  void take(std::vector<sdk::Action>& out);

 private:
  void wake();

  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  bool closed_ = false;
  std::vector<sdk::Action> actions_;
};

}  // namespace nmz::plugins::proc
