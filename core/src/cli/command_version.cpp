// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include <nmz/sdk/version.hpp>

#include "cli/commands.hpp"

namespace nmz::core::cli {

int command_version(const std::vector<std::string>& /*args*/) {
  std::cout << "nmz " << NMZ_VERSION << " (plugin SDK " << NMZ_SDK_VERSION_STRING << ", plugin ABI "
            << NMZ_SDK_ABI_VERSION << ")\n";
  return 0;
}

}  // namespace nmz::core::cli
