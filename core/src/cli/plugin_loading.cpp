// SPDX-License-Identifier: Apache-2.0
#include "cli/plugin_loading.hpp"

#include "log/logging.hpp"

namespace nmz::core::cli {

namespace {

void warn_refused(const std::vector<sdk::Status>& errors) {
  auto log = named_logger("plugins");
  for (const auto& error : errors) log->warn("plugin refused: {}", error.message());
}

}  // namespace

void load_plugins(PluginHost& host, const std::vector<std::string>& config_plugin_path) {
  warn_refused(host.load_directories(plugin_search_path(config_plugin_path)));
}

void load_plugins_for(PluginHost& host, const std::vector<std::string>& config_plugin_path,
                      const std::vector<std::string>& names) {
  warn_refused(host.load_components(plugin_search_path(config_plugin_path), names));
}

}  // namespace nmz::core::cli
