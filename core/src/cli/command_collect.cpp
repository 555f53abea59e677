// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"
#include "experiment/collect.hpp"

namespace nmz::core::cli {

int command_collect(const std::vector<std::string>& args) {
  sdk::FlagSet flags("nmz collect");
  if (!parse_verb_flags_at_least(flags, args, 2, "nmz collect DEST_STORAGE SOURCE_STORAGE...")) return 2;
  const auto& positionals = flags.positionals();
  std::vector<std::filesystem::path> sources(positionals.begin() + 1, positionals.end());
  auto report = experiment::collect_storages(positionals[0], sources);
  if (!report) {
    std::cerr << "nmz collect: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << "collected " << report->copied << " runs into " << positionals[0] << " (" << report->already_there
            << " already there";
  if (report->still_running > 0) std::cout << ", " << report->still_running << " still running: collect again later";
  std::cout << ")\n";
  return 0;
}

}  // namespace nmz::core::cli
