// SPDX-License-Identifier: Apache-2.0
#include "rest/orchestrator_url.hpp"

#include <charconv>

namespace nmz::core::rest {

sdk::Result<OrchestratorUrl> parse_orchestrator_url(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return sdk::Status::invalid("orchestrator url \"" + std::string(url) + "\": " + why +
                                " (expected http://HOST:PORT/api/v3)");
  };
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return bad("only http:// is supported");
  std::string_view rest = url.substr(scheme.size());
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view("/api/v3") : rest.substr(slash);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") path = "/api/v3";

  OrchestratorUrl parsed;
  parsed.base_path = std::string(path);
  std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    parsed.host = std::string(authority);
  } else {
    parsed.host = std::string(authority.substr(0, colon));
    std::string_view port = authority.substr(colon + 1);
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), parsed.port);
    if (error != std::errc() || end != port.data() + port.size() || parsed.port <= 0 || parsed.port > 65535) {
      return bad("port \"" + std::string(port) + "\" is not a number from 1 to 65535");
    }
  }
  if (parsed.host.empty()) return bad("no host");
  return parsed;
}

}  // namespace nmz::core::rest
