// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::core {

// Starts `argv` (argv[0] looked up in PATH) with the signal mask and
// dispositions reset to the defaults, since nmz blocks SIGINT/SIGTERM in its
// own threads. `extra_env` entries ("NAME=value") are added to (or replace
// entries of) nmz's environment.
sdk::Result<pid_t> spawn_process(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& extra_env = {});

// Waits for `pid` and returns a shell-style status: the exit code, or
// 128 + signal number when it was killed.
int wait_for_exit(pid_t pid);

// spawn + wait of `sh -c command`.
sdk::Result<int> run_shell(const std::string& command, const std::vector<std::string>& extra_env = {});

}  // namespace nmz::core
