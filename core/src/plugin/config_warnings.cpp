// SPDX-License-Identifier: Apache-2.0
#include "plugin/config_warnings.hpp"

#include "log/logging.hpp"

namespace nmz::core {

std::vector<std::string> config_warnings(const Config& config, const PluginHost& plugins) {
  std::vector<std::string> warnings = config.unknown_keys;
  const ComponentRecord* policy = plugins.find(config.explore_policy, ComponentKind::explore_policy);
  if (policy != nullptr && policy->parameters) {
    auto unknown = unknown_policy_parameters(config, *policy->parameters);
    warnings.insert(warnings.end(), unknown.begin(), unknown.end());
  }
  return warnings;
}

sdk::Status report_config_warnings(const Config& config, const PluginHost& plugins, bool strict) {
  const auto warnings = config_warnings(config, plugins);
  if (strict && !warnings.empty()) {
    std::string message;
    for (const auto& warning : warnings) message += (message.empty() ? "" : "\n") + warning + " (--strict)";
    return sdk::Status::invalid(message);
  }
  for (const auto& warning : warnings) named_logger("config")->warn("{}", warning);
  return sdk::Status::ok();
}

}  // namespace nmz::core
