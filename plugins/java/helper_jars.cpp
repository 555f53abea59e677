// SPDX-License-Identifier: Apache-2.0
#include "helper_jars.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace nmz::plugins::java {
namespace {

std::string first_of(const std::string& explicit_path, const char* env, const std::string& fallback) {
  if (!explicit_path.empty()) return explicit_path;
  if (const char* value = std::getenv(env); value != nullptr && *value != '\0') return value;
  return fallback;
}

sdk::Result<std::string> readable(const std::string& path, const char* what, const char* flag, const char* env) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  if (path.empty() || error || ::access(absolute.c_str(), R_OK) != 0) {
    return sdk::Status::error(sdk::StatusCode::not_found,
                              std::string("nmz inspectors java: cannot find the ") + what + " (tried \"" + path +
                                  "\"); set -" + flag + " or " + env);
  }
  if (absolute.string().find_first_of(", ") != std::string::npos) {
    return sdk::Status::invalid(std::string("nmz inspectors java: the ") + what + " path \"" + absolute.string() +
                                "\" has a comma or a space, which the agent option cannot carry");
  }
  return absolute.string();
}

std::string plugin_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&plugin_directory), &info) == 0 || info.dli_fname == nullptr) return {};
  return std::filesystem::path(info.dli_fname).parent_path().string();
}

}  // namespace

sdk::Result<HelperJars> locate_helper_jars(const std::string& byteman_jar, const std::string& helper_jar) {
  auto byteman = readable(first_of(byteman_jar, "NMZ_BYTEMAN_JAR", NMZ_BYTEMAN_JAR), "byteman agent jar",
                          "byteman-jar", "NMZ_BYTEMAN_JAR");
  if (!byteman) return byteman.status();
  std::string beside_plugin = plugin_directory();
  auto helper = readable(first_of(helper_jar, "NMZ_JAVA_HELPER_JAR",
                                  beside_plugin.empty() ? std::string() : beside_plugin + "/nmz-java-helper.jar"),
                         "helper jar nmz-java-helper.jar", "helper-jar", "NMZ_JAVA_HELPER_JAR");
  if (!helper) return helper.status();
  return HelperJars{std::move(byteman).value(), std::move(helper).value()};
}

}  // namespace nmz::plugins::java
