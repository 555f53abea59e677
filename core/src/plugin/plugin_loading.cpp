// SPDX-License-Identifier: Apache-2.0
#include "plugin/plugin_loading.hpp"

#include <filesystem>

#include "log/logging.hpp"

namespace nmz::core {

namespace {

// The user's own entries (NMZ_PLUGIN_PATH, pluginPath) name directories;
// a mistake there would otherwise end as "unknown explore policy".
std::vector<std::filesystem::path> checked_search_path(const std::vector<std::string>& config_plugin_path) {
  auto log = named_logger("plugins");
  auto search_path = plugin_search_path(config_plugin_path);
  for (const auto& dir : search_path) {
    if (dir == search_path.back()) break;  // the installed directory may well not exist
    std::error_code error;
    if (std::filesystem::is_regular_file(dir, error)) {
      log->warn("plugin path entry {} is a file: plugin paths list directories (use {})", dir.string(),
                dir.parent_path().string());
    } else if (!std::filesystem::exists(dir, error)) {
      log->warn("plugin path entry {} does not exist", dir.string());
    }
  }
  return search_path;
}

void warn_refused(const std::vector<sdk::Status>& errors) {
  auto log = named_logger("plugins");
  for (const auto& error : errors) log->warn("plugin refused: {}", error.message());
}

}  // namespace

void load_plugins(PluginHost& host, const Config& config) {
  host.allow_overrides(config.allow_plugin_override);
  warn_refused(host.load_directories(checked_search_path(config.plugin_path)));
}

void load_plugins_for(PluginHost& host, const Config& config, const std::vector<std::string>& names) {
  host.allow_overrides(config.allow_plugin_override);
  warn_refused(host.load_components(checked_search_path(config.plugin_path), names));
}

}  // namespace nmz::core
