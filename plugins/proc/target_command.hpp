// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::proc {

// Starts `argv` (argv[0] looked up in PATH) with an empty signal mask and
// default dispositions (nmz blocks SIGINT/SIGTERM/SIGHUP in its threads),
// stdout/stderr sent to the given files when not empty (opened write-only,
// created with mode 0622 like Namazu, appended to rather than truncated).
sdk::Result<pid_t> start_command(const std::vector<std::string>& argv, const std::string& stdout_path,
                                 const std::string& stderr_path);

// Reaps an exited child: its exit code, or 128 + the signal that killed it.
int reap_child(pid_t pid);

}  // namespace nmz::plugins::proc
