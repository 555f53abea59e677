// SPDX-License-Identifier: Apache-2.0
#include "target_process.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace nmz::native {

int open_pidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

TargetExit wait_target(pid_t pid, int stop_fd, int grace_ms) {
  int pidfd = open_pidfd(pid);
  bool stopping = false;
  while (pidfd >= 0) {
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int ready = poll(fds, stopping ? 1 : 2, stopping ? grace_ms : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[0].revents & POLLIN) != 0) break;
    if (stopping) {
      kill(pid, SIGKILL);
      break;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      stopping = true;
      kill(pid, SIGTERM);
    }
  }
  if (pidfd >= 0) close(pidfd);
  return reap_target(pid);
}

TargetExit reap_target(pid_t pid) {
  int status = 0;
  rusage usage{};
  TargetExit result;
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) return result;
  }
  result.cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                  (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.status = 128 + WTERMSIG(status);
  return result;
}

}  // namespace nmz::native
