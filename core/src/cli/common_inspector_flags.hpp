// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::core::cli {

// The flags every inspector takes, handled by the host (Namazu's names).
struct CommonInspectorFlags {
  std::string autopilot;                       // config for the embedded orchestrator
  std::string entity_id;                       // default: _namazu_<name>_inspector
  std::string orchestrator_url = "local://";  // or http://HOST:PORT/api/v3
  bool strict = false;                         // -strict: the autopilot config's warnings are errors
  std::vector<std::string> inspector_args;     // everything else, in order, for the inspector
};

// Takes the common flags out of `args` wherever they stand before a `--`
// (`-autopilot F`, `--autopilot=F`, `-strict`, ...), leaving the rest for the
// inspector's own FlagSet.
sdk::Result<CommonInspectorFlags> split_common_inspector_flags(const std::string& inspector_name,
                                                               const std::vector<std::string>& args);

}  // namespace nmz::core::cli
