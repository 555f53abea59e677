// SPDX-License-Identifier: Apache-2.0
#include "target_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nmz/sdk/spawn.hpp>

namespace nmz::plugins::fs {

sdk::Result<TargetProcess> TargetProcess::spawn(const std::vector<std::string>& argv) {
  auto spawned = sdk::spawn_process(argv);
  if (!spawned) return sdk::Status::invalid("nmz inspectors fs: " + spawned.status().message());
  pid_t pid = *spawned;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int error = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return sdk::Status::error(sdk::StatusCode::internal, std::string("pidfd_open: ") + std::strerror(error));
  }
  return TargetProcess(pid, pidfd);
}

TargetProcess::TargetProcess(TargetProcess&& other) noexcept : pid_(other.pid_), pidfd_(other.pidfd_) {
  other.pid_ = -1;
  other.pidfd_ = -1;
}

TargetProcess::~TargetProcess() {
  if (pid_ > 0) terminate(std::chrono::milliseconds(0));
  if (pidfd_ >= 0) ::close(pidfd_);
}

int TargetProcess::wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) == -1 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

int TargetProcess::terminate(std::chrono::milliseconds grace) {
  ::kill(pid_, SIGTERM);
  pollfd exited{pidfd_, POLLIN, 0};
  if (::poll(&exited, 1, static_cast<int>(grace.count())) <= 0) ::kill(pid_, SIGKILL);
  return wait();
}

}  // namespace nmz::plugins::fs
