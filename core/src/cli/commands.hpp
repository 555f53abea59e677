// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

namespace nmz::core::cli {

// Each `nmz VERB` takes the arguments after the verb and returns nmz's exit
// status. Errors are printed to stderr as "nmz VERB: what went wrong".
int run_cli(const std::vector<std::string>& args);

int command_version(const std::vector<std::string>& args);
int command_plugins(const std::vector<std::string>& args);
int command_orchestrator(const std::vector<std::string>& args);
int command_inspectors(const std::vector<std::string>& args);
int command_init(const std::vector<std::string>& args);
int command_run(const std::vector<std::string>& args);
int command_summary(const std::vector<std::string>& args);
int command_tools(const std::vector<std::string>& args);
int command_shrink(const std::vector<std::string>& args);  // `nmz tools shrink`
int command_container(const std::vector<std::string>& args);
int command_collect(const std::vector<std::string>& args);
int command_status(const std::vector<std::string>& args);
int command_submit(const std::vector<std::string>& args);

}  // namespace nmz::core::cli
