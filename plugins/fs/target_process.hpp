// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::fs {

// The command run on the mount (`nmz inspectors fs ... -- CMD ARGS`): started
// with the default signal mask and dispositions (the host blocks the
// terminating signals in its threads), watched through a pidfd.
class TargetProcess {
 public:
  static sdk::Result<TargetProcess> spawn(const std::vector<std::string>& argv);
  TargetProcess(TargetProcess&& other) noexcept;
  TargetProcess& operator=(TargetProcess&&) = delete;
  TargetProcess(const TargetProcess&) = delete;
  ~TargetProcess();

  // Readable once the process has exited.
  [[nodiscard]] int pidfd() const noexcept { return pidfd_; }
  // Reaps it; the shell-style exit code (128 + signal when killed).
  int wait();
  // SIGTERM, then SIGKILL after `grace`; reaps it.
  int terminate(std::chrono::milliseconds grace);

 private:
  TargetProcess(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

}  // namespace nmz::plugins::fs
