// SPDX-License-Identifier: Apache-2.0
#include "cli/common_inspector_flags.hpp"

#include <algorithm>
#include <array>

namespace nmz::core::cli {

sdk::Result<CommonInspectorFlags> split_common_inspector_flags(const std::string& inspector_name,
                                                               const std::vector<std::string>& args) {
  CommonInspectorFlags flags;
  flags.entity_id = "_namazu_" + inspector_name + "_inspector";
  const std::array<std::pair<const char*, std::string*>, 3> known{
      {{"autopilot", &flags.autopilot}, {"entity-id", &flags.entity_id}, {"orchestrator-url", &flags.orchestrator_url}}};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      flags.inspector_args.insert(flags.inspector_args.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    std::string_view body = arg;
    if (body.substr(0, 2) == "--") {
      body.remove_prefix(2);
    } else if (body.substr(0, 1) == "-") {
      body.remove_prefix(1);
    } else {
      flags.inspector_args.push_back(arg);
      continue;
    }
    std::string_view name = body.substr(0, body.find('='));
    if (name == "strict") {
      const std::string_view value = name.size() < body.size() ? body.substr(name.size() + 1) : "true";
      if (value != "true" && value != "false") {
        return sdk::Status::invalid("nmz inspectors " + inspector_name + ": flag -strict: expected true or false, got \"" +
                                    std::string(value) + "\"");
      }
      flags.strict = value == "true";
      continue;
    }
    auto match = std::find_if(known.begin(), known.end(), [&](const auto& k) { return name == k.first; });
    if (match == known.end()) {
      flags.inspector_args.push_back(arg);
      continue;
    }
    if (name.size() < body.size()) {
      *match->second = std::string(body.substr(name.size() + 1));
    } else if (i + 1 < args.size()) {
      *match->second = args[++i];
    } else {
      return sdk::Status::invalid("nmz inspectors " + inspector_name + ": flag -" + std::string(name) +
                                  " needs a value");
    }
  }
  if (flags.entity_id.empty()) {
    return sdk::Status::invalid("nmz inspectors " + inspector_name + ": flag -entity-id must not be empty");
  }
  const std::string& url = flags.orchestrator_url;
  if (url.rfind("local://", 0) != 0 && url.rfind("http://", 0) != 0) {
    return sdk::Status::invalid("nmz inspectors " + inspector_name + ": strange orchestrator url \"" + url +
                                "\" (expected local:// or http://HOST:PORT/api/v3)");
  }
  if (!flags.autopilot.empty() && url.rfind("local://", 0) != 0) {
    return sdk::Status::invalid("nmz inspectors " + inspector_name +
                                ": -autopilot starts an embedded orchestrator, so it cannot be combined with "
                                "-orchestrator-url " + url);
  }
  return flags;
}

}  // namespace nmz::core::cli
