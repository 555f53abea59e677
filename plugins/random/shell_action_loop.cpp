// SPDX-License-Identifier: Apache-2.0
#include "shell_action_loop.hpp"

#include <nmz/sdk/signal.hpp>

namespace nmz::plugins {

ShellActionLoop::~ShellActionLoop() { stop(); }

void ShellActionLoop::start(sdk::ActionSink& sink, std::chrono::nanoseconds interval, std::string command) {
  worker_ = std::thread([this, &sink, interval, command = std::move(command)] { run(sink, interval, command); });
}

void ShellActionLoop::run(sdk::ActionSink& sink, std::chrono::nanoseconds interval, const std::string& command) {
  // Deadlines advance by whole intervals so that a slow emit does not make
  // the loop drift; ticks missed while the machine stalled are skipped, not
  // fired in a burst.
  auto next = std::chrono::steady_clock::now() + interval;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
    lock.unlock();
    sink.emit(sdk::make_shell_action(command, R"({"comment":"injected by the random explorer"})"));
    lock.lock();
    auto now = std::chrono::steady_clock::now();
    next += interval;
    if (next <= now) next = now + interval;
  }
}

void ShellActionLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace nmz::plugins
