// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "config/config.hpp"
#include "plugin/plugin_host.hpp"

namespace nmz::core {

// Every warning about `config` once its policy's plugin is loaded: the
// file's unknown keys and, when the policy (found in `plugins`) declared its
// parameters, the keys of `[explorePolicyParam]` it does not read.
std::vector<std::string> config_warnings(const Config& config, const PluginHost& plugins);

// Logs each of config_warnings (logger "config"). With `strict` (the verbs'
// --strict) they are an error instead, naming every one.
sdk::Status report_config_warnings(const Config& config, const PluginHost& plugins, bool strict);

}  // namespace nmz::core
