// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/shell_action_runner.hpp"

#include "log/logging.hpp"
#include "util/spawn.hpp"

namespace nmz::core {

ShellActionRunner::ShellActionRunner() : log_(named_logger("orchestrator")), worker_([this] { run(); }) {}

ShellActionRunner::~ShellActionRunner() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  worker_.join();
}

void ShellActionRunner::enqueue(std::string command) {
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(command));
  }
  wake_.notify_one();
}

void ShellActionRunner::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return !commands_.empty() || closing_; });
    if (commands_.empty()) return;
    std::string command = std::move(commands_.front());
    commands_.pop_front();
    lock.unlock();
    log_->debug("shell action: {}", command);
    auto status = run_shell(command);
    if (!status) {
      log_->warn("shell action \"{}\" could not run: {}", command, status.status().message());
    } else if (*status != 0) {
      log_->warn("shell action \"{}\" exited with status {}", command, *status);
    }
    lock.lock();
  }
}

}  // namespace nmz::core
