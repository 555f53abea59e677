// SPDX-License-Identifier: Apache-2.0
#include "java_options.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <nmz/sdk/flags.hpp>

#include "helper_jars.hpp"

namespace nmz::plugins::java {
namespace {

constexpr const char* kUsage =
    "usage: nmz inspectors java -rules RULES.btm [-entity-id ID] [-autopilot config.toml | -orchestrator-url URL] "
    "[flags] [-- CMD ARGS...]\n"
    "       nmz inspectors java -print-agent-options -rules RULES.btm [-entity-id ID] [-pb-port PORT]\n";

// Namazu's Java inspector read its port from NMZ_GA_TCP_PORT (default
// 10000); `nmz run` exports the run's pbPort there.
std::int64_t default_connect_port() {
  const char* text = std::getenv("NMZ_GA_TCP_PORT");
  if (text != nullptr && *text != '\0') return std::strtoll(text, nullptr, 10);
  return 10000;
}

}  // namespace

sdk::Result<JavaOptions> parse_java_options(const std::vector<std::string>& args) {
  JavaOptions options;
  sdk::FlagSet set("nmz inspectors java");
  set.add_string_list("rules", &options.rules, "byteman rule file (repeatable); rules call HELPER org.nmz.java.NmzHelper");
  set.add_bool("print-agent-options", &options.print_agent_options,
               "print the JAVA_TOOL_OPTIONS value for a JVM started elsewhere, and exit");
  set.add_string("pb-address", &options.pb_address, "address the JVM connects to (and this inspector listens on)");
  set.add_int("pb-port", &options.pb_port,
              "PB port: this inspector's listener (default any free port), or with -print-agent-options the "
              "orchestrator's pbPort (default $NMZ_GA_TCP_PORT, else 10000)");
  set.add_duration("call-timeout", &options.call_timeout,
                   "longest a Java thread waits for nmz's answer before it proceeds anyway");
  set.add_int("stack-depth", &options.stack_depth, "stack frames sent with each event");
  set.add_string("byteman-jar", &options.byteman_jar, "byteman agent jar (default $NMZ_BYTEMAN_JAR, else Debian's)");
  set.add_string("helper-jar", &options.helper_jar,
                 "nmz's helper jar (default $NMZ_JAVA_HELPER_JAR, else the one next to this plugin)");
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "-h" || arg == "-help" || arg == "--help") return sdk::Status::invalid(kUsage + set.usage());
  }
  if (auto status = set.parse(args); !status) return status;
  if (!set.positionals().empty() && !set.saw_double_dash()) {
    return sdk::Status::invalid("nmz inspectors java: unexpected argument \"" + set.positionals().front() +
                                "\" (put the command to run after --)");
  }
  options.command = set.positionals();
  if (options.rules.empty()) return sdk::Status::invalid("nmz inspectors java: flag -rules: at least one rule file is needed");
  for (auto& rule : options.rules) {
    std::error_code error;
    auto absolute = std::filesystem::absolute(rule, error);
    if (error || ::access(absolute.c_str(), R_OK) != 0) {
      return sdk::Status::invalid("nmz inspectors java: flag -rules: cannot read \"" + rule + "\"");
    }
    if (rule.find_first_of(", ") != std::string::npos || absolute.string().find_first_of(", ") != std::string::npos) {
      return sdk::Status::invalid("nmz inspectors java: flag -rules: \"" + absolute.string() +
                                  "\" has a comma or a space, which the agent option cannot carry");
    }
    rule = absolute.string();
  }
  if (options.print_agent_options && !options.command.empty()) {
    return sdk::Status::invalid("nmz inspectors java: -print-agent-options runs no command; drop the command or the flag");
  }
  if (options.print_agent_options && options.pb_port < 0) options.pb_port = default_connect_port();
  if (options.pb_port > 65535 || (options.print_agent_options && options.pb_port == 0)) {
    return sdk::Status::invalid("nmz inspectors java: flag -pb-port: expected a port from " +
                                std::string(options.print_agent_options ? "1" : "0") + " to 65535, got " +
                                std::to_string(options.pb_port));
  }
  if (options.call_timeout.count() <= 0) {
    return sdk::Status::invalid("nmz inspectors java: flag -call-timeout: expected a positive duration");
  }
  if (options.stack_depth < 0 || options.stack_depth > 1024) {
    return sdk::Status::invalid("nmz inspectors java: flag -stack-depth: expected 0 to 1024");
  }
  auto jars = locate_helper_jars(options.byteman_jar, options.helper_jar);
  if (!jars) return jars.status();
  options.byteman_jar = jars->byteman;
  options.helper_jar = jars->helper;
  return options;
}

std::string agent_options(const JavaOptions& options, const std::string& entity, int port) {
  std::string agent = "-javaagent:" + options.byteman_jar + "=";
  for (const auto& rule : options.rules) agent += "script:" + rule + ",";
  agent += "sys:" + options.helper_jar;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options.call_timeout).count();
  // Byteman interprets a rule by default (a reflective call per helper
  // method, a dozen extra frames for the stack walk); compiled, the rule
  // costs a Java call of about a sixth less CPU per event.
  return agent + " -Dorg.jboss.byteman.compile.to.bytecode=true -Dnmz.pb.host=" + options.pb_address + " -Dnmz.pb.port=" + std::to_string(port) +
         " -Dnmz.entity=" + entity + " -Dnmz.timeout.ms=" + std::to_string(ms) +
         " -Dnmz.stack.depth=" + std::to_string(options.stack_depth);
}

}  // namespace nmz::plugins::java
