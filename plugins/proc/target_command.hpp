// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nmz/sdk/child_process.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::plugins::proc {

// Starts `argv` (argv[0] looked up in PATH) held before exec until
// release(), so that it runs its very first instruction with the policy's
// first decision applied (a test that lasts a millisecond would otherwise be
// over before any decision arrived). stdout/stderr go to the given files
// when not empty (created with mode 0622 like Namazu, appended to rather
// than truncated). If exec fails the child says why on stderr and exits 127.
// It dies with nmz unless NMZ_KEEP_TARGETS=1.
sdk::Result<sdk::ChildProcess> start_held_command(const std::vector<std::string>& argv, const std::string& stdout_path,
                                                  const std::string& stderr_path);

}  // namespace nmz::plugins::proc
