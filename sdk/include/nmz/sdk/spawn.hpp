// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <sys/types.h>

#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

// Starting the command an inspector wraps (`nmz inspectors X -- CMD`).
namespace nmz::sdk {

struct SpawnOptions {
  // "NAME=value" entries added to nmz's environment, replacing those of the
  // same name.
  std::vector<std::string> extra_env;
  // Descriptors the command keeps across exec even if they are
  // close-on-exec (a pipe or socket the inspector talks to it through).
  std::vector<int> inherit_fds;
};

// Starts `argv` (argv[0] looked up in PATH) like nmz::sdk::ChildProcess
// (child_process.hpp, which says more): an empty signal mask and every
// signal at its default disposition, none of nmz's descriptors but
// `inherit_fds`, killed when nmz dies unless NMZ_KEEP_TARGETS=1. The
// calling thread must outlive the command. Does not wait for it. Errors name the command: not_found when it
// does not exist, unavailable for other failures.
Result<pid_t> spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// Waits for `pid` (retrying on EINTR) and returns a shell-style status: the
// exit code, or 128 + the signal that killed it; 127 when it cannot be
// waited for. Thread: any; blocks until the process exits.
int wait_for_exit(pid_t pid);

}  // namespace nmz::sdk
