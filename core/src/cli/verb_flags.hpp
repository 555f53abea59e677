// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/flags.hpp>

namespace nmz::core::cli {

// Parses a verb's arguments. On a bad flag, or a number of positional
// arguments other than `positionals`, prints the error, `synopsis` and the
// flag list to stderr and returns false (the verb then exits with 2).
// -h, -help or --help (before any "--") prints them to stdout and exits 0.
bool parse_verb_flags(sdk::FlagSet& flags, const std::vector<std::string>& args, std::size_t positionals,
                      std::string_view synopsis);
// The same for verbs that take `min_positionals` or more.
bool parse_verb_flags_at_least(sdk::FlagSet& flags, const std::vector<std::string>& args, std::size_t min_positionals,
                               std::string_view synopsis);

// The same for verbs that take at most `max_positionals`.
bool parse_verb_flags_at_most(sdk::FlagSet& flags, const std::vector<std::string>& args, std::size_t max_positionals,
                              std::string_view synopsis);
// Whether `args` hold -h, -help or --help before any "--": every verb,
// tool and inspector then prints its usage to stdout and exits 0.
bool asks_for_help(const std::vector<std::string>& args);

}  // namespace nmz::core::cli
