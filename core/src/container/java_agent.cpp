// SPDX-License-Identifier: Apache-2.0
#include "container/java_agent.hpp"

#include <filesystem>
#include <sstream>

#include <nmz/sdk/child_process.hpp>

#include "plugin/plugin_host.hpp"

namespace nmz::core::container {

std::vector<std::string> agent_files(const std::string& tool_options) {
  std::vector<std::string> files;
  std::istringstream words(tool_options);
  std::string word;
  constexpr std::string_view kAgent = "-javaagent:";
  while (words >> word) {
    if (word.rfind(kAgent, 0) != 0) continue;
    const std::string agent = word.substr(kAgent.size());
    const auto equals = agent.find('=');
    files.push_back(agent.substr(0, equals));
    if (equals == std::string::npos) continue;
    std::istringstream options(agent.substr(equals + 1));
    std::string option;
    while (std::getline(options, option, ',')) {
      for (std::string_view key : {"script:", "sys:", "boot:"}) {
        if (option.rfind(key, 0) == 0) files.push_back(option.substr(key.size()));
      }
    }
  }
  return files;
}

sdk::Result<JavaAgent> java_agent_for_container(const ContainerConfig& container,
                                                const std::vector<std::string>& plugin_path) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return sdk::Status::error(sdk::StatusCode::unavailable, "cannot find nmz's own executable: " + error.message());
  std::vector<std::string> argv{self.string(), "inspectors", "java", "-print-agent-options",
                                "-entity-id", kContainerJavaEntity, "-pb-address", "127.0.0.1",
                                "-pb-port", std::to_string(container.java_pb_port)};
  for (const auto& rule : container.java_rules) {
    argv.push_back("-rules");
    argv.push_back(rule);
  }
  sdk::ChildOptions options;
  options.capture_output = true;
  if (auto path = plugin_path_for_children(plugin_path); !path.empty()) {
    options.extra_env.push_back("NMZ_PLUGIN_PATH=" + path);
  }
  auto child = sdk::ChildProcess::start(argv, options);
  if (!child) return child.status();
  auto [exit, output] = child->wait_with_output();
  // The options are the line that loads the agent; the others are the
  // command's log (stdout and stderr come together).
  std::string options_line;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("-javaagent:", 0) == 0) options_line = line;
  }
  if (exit.status != 0 || options_line.empty()) {
    return sdk::Status::invalid("[container] enableJavaInspector: the java inspector gave no agent options: " + output);
  }
  JavaAgent agent{options_line, {}};
  for (const auto& file : agent_files(options_line)) agent.binds.push_back(file + ":" + file + ":ro");
  return agent;
}

}  // namespace nmz::core::container
