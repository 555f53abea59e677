// SPDX-License-Identifier: Apache-2.0
#include "util/spawn.hpp"

namespace nmz::core {

sdk::Result<int> run_shell(const std::string& command, const std::vector<std::string>& extra_env) {
  auto pid = sdk::spawn_process({"/bin/sh", "-c", command}, {extra_env, {}});
  if (!pid) return pid.status();
  return sdk::wait_for_exit(*pid);
}

std::string shell_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace nmz::core
