// SPDX-License-Identifier: Apache-2.0
#include "target_command.hpp"

namespace nmz::plugins::proc {

sdk::Result<sdk::ChildProcess> start_held_command(const std::vector<std::string>& argv, const std::string& stdout_path,
                                                  const std::string& stderr_path) {
  sdk::ChildOptions options;
  options.hold_before_exec = true;
  options.stdout_path = stdout_path;
  options.stderr_path = stderr_path;
  auto child = sdk::ChildProcess::start(argv, options);
  if (!child) return sdk::Status::error(child.status().code(), "nmz inspectors proc: " + child.status().message());
  return child;
}

}  // namespace nmz::plugins::proc
