// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"
#include "experiment/experiment_status.hpp"

namespace nmz::core::cli {

int command_status(const std::vector<std::string>& args) {
  bool json = false;
  sdk::FlagSet flags("nmz status");
  flags.add_bool("json", &json, "print JSON instead of a table");
  if (!parse_verb_flags(flags, args, 1, "nmz status [--json] STORAGE_DIR")) return 2;
  auto storage = experiment::Storage::open(flags.positionals()[0]);
  if (!storage) {
    std::cerr << "nmz status: " << storage.status().message() << "\n";
    return 2;
  }
  const auto status = experiment::experiment_status(*storage);
  std::cout << (json ? status.to_json().dump(2) + "\n" : status.text());
  return 0;
}

}  // namespace nmz::core::cli
