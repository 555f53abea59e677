// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::java {

struct HelperJars {
  std::string byteman;  // the agent
  std::string helper;   // nmz-java-helper.jar: org.nmz.java.NmzHelper
};

// Explicit paths first, then $NMZ_BYTEMAN_JAR / $NMZ_JAVA_HELPER_JAR, then
// the byteman jar found at build time and the helper jar next to this
// plugin. not_found names what was tried.
sdk::Result<HelperJars> locate_helper_jars(const std::string& byteman_jar, const std::string& helper_jar);

}  // namespace nmz::plugins::java
