// SPDX-License-Identifier: Apache-2.0
#include "cli/verb_flags.hpp"

#include <cstdint>
#include <cstdlib>
#include <iostream>

namespace nmz::core::cli {

namespace {
bool parse_with_count(sdk::FlagSet& flags, const std::vector<std::string>& args, std::size_t min_positionals,
                      std::size_t max_positionals, std::string_view synopsis) {
  if (asks_for_help(args)) {
    std::cout << "usage: " << synopsis << "\n" << flags.usage();
    std::exit(0);
  }
  auto status = flags.parse(args);
  const auto count = flags.positionals().size();
  if (status && count >= min_positionals && count <= max_positionals) return true;
  if (!status) std::cerr << status.message() << "\n";
  std::cerr << "usage: " << synopsis << "\n" << flags.usage();
  return false;
}
}  // namespace

bool asks_for_help(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--") return false;
    if (arg == "-h" || arg == "-help" || arg == "--help") return true;
  }
  return false;
}

bool parse_verb_flags(sdk::FlagSet& flags, const std::vector<std::string>& args, std::size_t positionals,
                      std::string_view synopsis) {
  return parse_with_count(flags, args, positionals, positionals, synopsis);
}

bool parse_verb_flags_at_least(sdk::FlagSet& flags, const std::vector<std::string>& args, std::size_t min_positionals,
                               std::string_view synopsis) {
  return parse_with_count(flags, args, min_positionals, SIZE_MAX, synopsis);
}

bool parse_verb_flags_at_most(sdk::FlagSet& flags, const std::vector<std::string>& args, std::size_t max_positionals,
                              std::string_view synopsis) {
  return parse_with_count(flags, args, 0, max_positionals, synopsis);
}

}  // namespace nmz::core::cli
