// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::ethernet {

struct CommandResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr together
};

// Runs `argv` (argv[0] looked up in PATH, nmz::sdk::ChildProcess) to
// completion and collects its output; `input` is written to its stdin. An
// error only when it could not be started.
sdk::Result<CommandResult> run_command(const std::vector<std::string>& argv, const std::string& input = {});

}  // namespace nmz::plugins::ethernet
