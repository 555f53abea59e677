// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::java {

struct JavaOptions {
  std::vector<std::string> rules;  // byteman rule files, absolute
  bool print_agent_options = false;
  std::string pb_address = "127.0.0.1";
  // The port the JVM connects to: this inspector's own listener (0: any
  // free port) or, with -print-agent-options, the orchestrator's pbPort.
  std::int64_t pb_port = -1;
  std::chrono::nanoseconds call_timeout = std::chrono::seconds(30);
  std::int64_t stack_depth = 16;
  std::string byteman_jar;
  std::string helper_jar;
  std::vector<std::string> command;
};

// Parses `nmz inspectors java` flags. `-h` is an invalid_argument whose
// message is the usage. Relative rule paths are made absolute (the JVM
// may run elsewhere); every rule file must be readable.
sdk::Result<JavaOptions> parse_java_options(const std::vector<std::string>& args);

// The JAVA_TOOL_OPTIONS value that loads byteman with the rules and the
// helper jar and points the helper at `port` for `entity`.
std::string agent_options(const JavaOptions& options, const std::string& entity, int port);

}  // namespace nmz::plugins::java
