// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

// The command line that repeats one run of a loop on its own: nmz's command
// line as the user typed it, without the loop's flags and without the
// flags the run's own values replace, plus those values.
namespace nmz::native {

struct ReplayEdit {
  // Flags to remove, with their value ("-n 5", "--n=5").
  std::vector<std::string> drop_with_value;
  // Boolean flags to remove ("-until-failure", "-until-failure=true").
  std::vector<std::string> drop_boolean;
  // Boolean flags to keep as they are: they take no value, so the next
  // argument is not theirs.
  std::vector<std::string> keep_boolean;
  // Inserted just before the command (before "--" when there is one).
  std::vector<std::string> add;
};

// `argv`: nmz's arguments; `first_flag`: the index of the first inspector
// flag (after "inspectors NAME"). Flags are recognised as Go's flag package
// and nmz::sdk::FlagSet do: -x, --x, -x=v, --x=v; a flag without "=" that is
// not boolean takes the next argument as its value; the command starts at
// "--" or at the first argument that is not a flag.
std::vector<std::string> replay_arguments(const std::vector<std::string>& argv, std::size_t first_flag,
                                          const ReplayEdit& edit);

// One shell word: quoted when it contains anything but [A-Za-z0-9_@%+=:,./-].
std::string shell_quote(const std::string& word);

// nmz's own command line (/proc/self/cmdline), argv[0] replaced by the
// absolute path of the executable so that the line works from any directory
// the user's relative paths work from. Empty if it cannot be read.
std::vector<std::string> own_command_line();

}  // namespace nmz::native
