// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/spawn.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::core {

// spawn + wait of `sh -c command` (nmz::sdk::spawn_process, which also
// serves nmz's own commands and scripts).
sdk::Result<int> run_shell(const std::string& command, const std::vector<std::string>& extra_env = {});

// `text` as one word of a `sh -c` command line, in single quotes.
std::string shell_quoted(std::string_view text);

}  // namespace nmz::core
