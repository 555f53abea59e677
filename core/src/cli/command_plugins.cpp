// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"
#include "plugin/plugin_host.hpp"
#include "plugin/plugin_loading.hpp"

namespace nmz::core::cli {
namespace {

void print_components(const PluginHost& host) {
  std::size_t name_width = 4;
  for (const ComponentRecord* c : host.components()) name_width = std::max(name_width, c->name.size());
  const int width = static_cast<int>(name_width) + 2;
  std::cout << std::left << std::setw(width) << "NAME" << std::setw(11) << "KIND" << std::setw(10) << "VERSION"
            << "FILE\n";
  for (const ComponentRecord* c : host.components()) {
    std::cout << std::setw(width) << c->name << std::setw(11) << to_string(c->kind) << std::setw(10)
              << c->library->info->version << c->library->path.string() << "\n";
  }
}

// To stdout with status 0 when asked for (-h), else to stderr with 2.
int usage(const std::vector<std::string>& args) {
  const bool help = asks_for_help(args);
  (help ? std::cout : std::cerr) << "usage: nmz plugins list\n"
                                    "       nmz plugins inspect FILE.so\n"
                                    "list: the plugins nmz finds in NMZ_PLUGIN_PATH, the build tree and the installed plugin directory\n"
                                    "inspect: one plugin file's name, version, SDK/ABI and components\n";
  return help ? 0 : 2;
}

}  // namespace

int command_plugins(const std::vector<std::string>& args) {
  if (args.empty() || asks_for_help(args)) return usage(args);
  if (args[0] == "list" && args.size() == 1) {
    PluginHost host;
    bool refused = false;
    for (const auto& error : host.load_directories(plugin_search_path({}))) {
      std::cerr << "nmz plugins list: refused " << error.message() << "\n";
      refused = true;
    }
    print_components(host);
    return refused ? 1 : 0;
  }
  if (args[0] == "inspect" && args.size() == 2) {
    PluginHost host;
    if (auto status = host.load_file(args[1]); !status) {
      std::cerr << "nmz plugins inspect: " << status.message() << "\n";
      return 1;
    }
    const sdk::PluginInfo* info = host.libraries().front()->info;
    std::cout << "plugin:      " << info->name << "\n"
              << "version:     " << info->version << "\n"
              << "description: " << info->description << "\n"
              << "sdk:         " << info->sdk_version << " (ABI " << info->abi_version << ")\n"
              << "toolchain:   " << info->build_fingerprint << "\n"
              << "file:        " << host.libraries().front()->path.string() << "\n"
              << "components:\n";
    for (const ComponentRecord* c : host.components()) {
      std::cout << "  " << to_string(c->kind) << " " << c->name << ": " << c->description << "\n";
    }
    return 0;
  }
  return usage(args);
}

}  // namespace nmz::core::cli
