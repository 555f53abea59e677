// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <nmz/sdk/explore_policy.hpp>

namespace nmz::plugins {

// Emits a ShellAction running `command` every `interval`, independently of
// events (Namazu's periodic fault scripts: kill a node, cut a link...),
// until stop().
class ShellActionLoop {
 public:
  ShellActionLoop() = default;
  ShellActionLoop(const ShellActionLoop&) = delete;
  ShellActionLoop& operator=(const ShellActionLoop&) = delete;
  ~ShellActionLoop();

  // `sink` is borrowed until stop() returns. The first action comes one
  // interval after start.
  void start(sdk::ActionSink& sink, std::chrono::nanoseconds interval, std::string command);
  // Returns when no emit() is in progress or will follow. Idempotent.
  void stop();

 private:
  void run(sdk::ActionSink& sink, std::chrono::nanoseconds interval, const std::string& command);

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace nmz::plugins
