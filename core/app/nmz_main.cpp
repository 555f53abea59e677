// SPDX-License-Identifier: Apache-2.0
#include <exception>
#include <iostream>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  try {
    return nmz::core::cli::run_cli(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "nmz: internal error: " << e.what() << "\n";
    return 70;
  }
}
