// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include <nmz/sdk/flags.hpp>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"
#include "experiment/storage.hpp"
#include "log/logging.hpp"

namespace nmz::core::cli {

int command_init(const std::vector<std::string>& args) {
  init_logging();
  bool force = false;
  bool strict = false;
  sdk::FlagSet flags("nmz init");
  flags.add_bool("force", &force, "delete and re-create STORAGE first");
  flags.add_bool("strict", &strict, "config warnings (unknown keys) are errors");
  if (!parse_verb_flags(flags, args, 3, "nmz init [--force] [--strict] config.toml MATERIALS_DIR STORAGE_DIR")) return 2;
  const auto& positionals = flags.positionals();
  if (auto status = experiment::init_storage(positionals[0], positionals[1], positionals[2], {force, strict}); !status) {
    std::cerr << "nmz init: " << status.message() << "\n";
    return status.code() == sdk::StatusCode::invalid_argument ? 2 : 1;
  }
  std::cout << "ok\n";
  return 0;
}

}  // namespace nmz::core::cli
