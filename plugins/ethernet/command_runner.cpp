// SPDX-License-Identifier: Apache-2.0
#include "command_runner.hpp"

#include <nmz/sdk/child_process.hpp>

namespace nmz::plugins::ethernet {

sdk::Result<CommandResult> run_command(const std::vector<std::string>& argv, const std::string& input) {
  sdk::ChildOptions options;
  options.input = input;
  options.capture_output = true;
  auto child = sdk::ChildProcess::start(argv, options);
  if (!child) return child.status();
  auto [exit, output] = child->wait_with_output();
  return CommandResult{exit.status, std::move(output)};
}

}  // namespace nmz::plugins::ethernet
