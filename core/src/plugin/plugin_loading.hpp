// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "plugin/plugin_host.hpp"

namespace nmz::core {

// Loads every plugin on the search path (see plugin_search_path; the
// config's pluginPath and allowPluginOverride) and logs a warning for each
// one refused, so one broken third-party .so does not stop nmz; a refused
// plugin's components are simply not registered.
void load_plugins(PluginHost& host, const Config& config);

// The same, but only the plugins that register `names` (see
// PluginHost::load_components): for verbs that know what they will create.
void load_plugins_for(PluginHost& host, const Config& config, const std::vector<std::string>& names);

}  // namespace nmz::core
