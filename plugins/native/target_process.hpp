// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

// Waiting for the command the native inspector wraps (started with
// nmz::sdk::spawn_process).
namespace nmz::native {

struct TargetExit {
  int status = 127;  // shell-style: the exit code, or 128 + the signal that killed it
  double cpu_ms = 0;  // user + system time of the target (its waited-for children included)
};

// Waits for the target to exit. When `stop_fd` becomes readable first, the
// target gets SIGTERM, and SIGKILL `grace_ms` later.
TargetExit wait_target(pid_t pid, int stop_fd, int grace_ms);

// Collects an exited (or exiting) target: blocks until it is gone.
TargetExit reap_target(pid_t pid);

// A descriptor that becomes readable when `pid` exits (pidfd_open), to wait
// for many targets at once with poll; -1 with errno set if the kernel has
// none.
int open_pidfd(pid_t pid);

}  // namespace nmz::native
