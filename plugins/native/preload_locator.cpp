// SPDX-License-Identifier: Apache-2.0
#include "preload_locator.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace nmz::native {

sdk::Result<std::string> locate_preload(const std::string& explicit_path) {
  std::vector<std::filesystem::path> candidates;
  if (!explicit_path.empty()) {
    candidates.emplace_back(explicit_path);
  } else if (const char* env = std::getenv("NMZ_NATIVE_PRELOAD"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&locate_preload), &info) != 0 && info.dli_fname != nullptr) {
      std::filesystem::path plugin_dir = std::filesystem::path(info.dli_fname).parent_path();
      candidates.push_back(plugin_dir / "preload" / kPreloadFileName);
      candidates.push_back(plugin_dir.parent_path() / kPreloadFileName);
    }
  }
  std::string tried;
  for (const auto& candidate : candidates) {
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(candidate, ec);
    if (!ec && access(absolute.c_str(), R_OK) == 0) return absolute.string();
    tried += (tried.empty() ? "" : ", ") + candidate.string();
  }
  return sdk::Status::error(sdk::StatusCode::not_found,
                            "cannot find the interposer " + std::string(kPreloadFileName) + " (tried " +
                                (tried.empty() ? std::string("nothing: the plugin's own path is unknown") : tried) +
                                "); set -preload or NMZ_NATIVE_PRELOAD");
}

}  // namespace nmz::native
