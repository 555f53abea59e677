// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "config/config.hpp"

namespace nmz::core::container {

// The entity of the java inspector a container run attaches.
inline constexpr const char* kContainerJavaEntity = "_namazu_container_java_inspector";

// What the JVMs of a container need for nmz's java inspector.
struct JavaAgent {
  // JAVA_TOOL_OPTIONS: byteman's agent with the rules and nmz's helper jar,
  // pointed at 127.0.0.1:javaPBPort of the container's network namespace.
  std::string tool_options;
  // "PATH:PATH:ro": every file the options name, shown at the same path
  // inside the container, so that the options hold there unchanged.
  std::vector<std::string> binds;
};

// The files a JAVA_TOOL_OPTIONS value loads: each -javaagent:JAR and the
// paths of its script:, sys: and boot: options (byteman's agent syntax).
std::vector<std::string> agent_files(const std::string& tool_options);

// Asks the java inspector itself (`nmz inspectors java
// -print-agent-options`, run from this executable with the config's plugin
// path) for the options, so that they are made in one place. Errors carry
// the inspector's own message (a rule file that cannot be read, a missing
// helper jar, no java plugin).
sdk::Result<JavaAgent> java_agent_for_container(const ContainerConfig& container,
                                                const std::vector<std::string>& plugin_path);

}  // namespace nmz::core::container
