// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace nmz::core {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every
// thread it starts afterwards: construct this first) and calls `on_signal`
// from a thread of its own for each one received. Child processes must
// unblock them (nmz::sdk::spawn_process does).
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int)> on_signal);
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  ~SignalWatcher();

  // The number of signals received so far.
  [[nodiscard]] int received() const noexcept { return received_.load(); }

 private:
  std::function<void(int)> on_signal_;
  std::atomic<int> received_{0};
  int wake_fd_;  // written by the destructor: the thread ends
  std::thread thread_;
};

}  // namespace nmz::core
