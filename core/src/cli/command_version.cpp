// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include <nmz/sdk/version.hpp>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"

namespace nmz::core::cli {

int command_version(const std::vector<std::string>& args) {
  if (asks_for_help(args)) {
    std::cout << "usage: nmz version\nPrints nmz's version, the plugin SDK's version and the plugin ABI.\n";
    return 0;
  }
  std::cout << "nmz " << NMZ_VERSION << " (plugin SDK " << NMZ_SDK_VERSION_STRING << ", plugin ABI "
            << NMZ_SDK_ABI_VERSION << ")\n";
  return 0;
}

}  // namespace nmz::core::cli
