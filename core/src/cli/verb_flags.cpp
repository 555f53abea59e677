// SPDX-License-Identifier: Apache-2.0
#include "cli/verb_flags.hpp"

#include <cstdlib>
#include <iostream>

namespace nmz::core::cli {

bool parse_verb_flags(sdk::FlagSet& flags, const std::vector<std::string>& args, std::size_t positionals,
                      std::string_view synopsis) {
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "-h" || arg == "-help" || arg == "--help") {
      std::cout << "usage: " << synopsis << "\n" << flags.usage();
      std::exit(0);
    }
  }
  auto status = flags.parse(args);
  if (status && flags.positionals().size() == positionals) return true;
  if (!status) std::cerr << status.message() << "\n";
  std::cerr << "usage: " << synopsis << "\n" << flags.usage();
  return false;
}

}  // namespace nmz::core::cli
