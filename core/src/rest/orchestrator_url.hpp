// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include <nmz/sdk/status.hpp>

namespace nmz::core::rest {

// A remote orchestrator's REST root, as `-orchestrator-url` gives it:
// http://HOST:PORT/api/v3 (Namazu's form; the path defaults to /api/v3).
struct OrchestratorUrl {
  std::string host;
  int port = 80;
  std::string base_path;  // "/api/v3", never with a trailing slash

  // "http://HOST:PORT", what the HTTP client connects to.
  [[nodiscard]] std::string origin() const { return "http://" + host + ":" + std::to_string(port); }
};

sdk::Result<OrchestratorUrl> parse_orchestrator_url(std::string_view url);

}  // namespace nmz::core::rest
