// SPDX-License-Identifier: Apache-2.0
#include "plugin/plugin_loading.hpp"

#include "log/logging.hpp"

namespace nmz::core {

void load_plugins(PluginHost& host, const std::vector<std::string>& config_plugin_path) {
  auto log = named_logger("plugins");
  for (const auto& error : host.load_directories(plugin_search_path(config_plugin_path))) {
    log->warn("plugin refused: {}", error.message());
  }
}

}  // namespace nmz::core
