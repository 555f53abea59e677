// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::proc {

// A command created but held before exec until its gate is opened, so that
// it runs its very first instruction with the policy's first decision
// applied (a test that lasts a millisecond would otherwise be over before
// any decision arrived).
struct HeldCommand {
  pid_t pid = -1;
  int gate_fd = -1;  // close it to let the command exec
};

// Forks a child for `argv` (argv[0] looked up in PATH) with an empty signal
// mask and default dispositions (nmz blocks SIGINT/SIGTERM/SIGHUP in its
// threads), stdout/stderr sent to the given files when not empty (opened
// write-only, created with mode 0622 like Namazu, appended to rather than
// truncated). If exec fails the child says why on stderr and exits 127.
sdk::Result<HeldCommand> start_held_command(const std::vector<std::string>& argv, const std::string& stdout_path,
                                            const std::string& stderr_path);

}  // namespace nmz::plugins::proc
