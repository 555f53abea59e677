// SPDX-License-Identifier: Apache-2.0
#include <iostream>
#include <map>
#include <string_view>

#include "cli/commands.hpp"
#include "plugin/plugin_call.hpp"

namespace nmz::core::cli {
namespace {

using Command = int (*)(const std::vector<std::string>&);

struct Verb {
  Command run;
  const char* synopsis;
};

const std::map<std::string_view, Verb>& verbs() {
  static const std::map<std::string_view, Verb> table{
      {"version", {&command_version, "Print nmz's version, SDK version and plugin ABI"}},
      {"plugins", {&command_plugins, "List plugins (list) or check one file (inspect FILE)"}},
      {"orchestrator", {&command_orchestrator, "Start the orchestrator without a workspace"}},
      {"container", {&command_container, "Run a container (Docker Engine API) with nmz's inspectors attached"}},
      {"inspectors", {&command_inspectors, "Start an inspector: proc, fs, ethernet, or any plugin's"}},
      {"init", {&command_init, "Initialize a storage for \"run\" (config, materials)"}},
      {"run", {&command_run, "Run an experiment in an initialized storage (-n N, --parallel K)"}},
      {"summary", {&command_summary, "Failure rate, its interval, times and distinct traces of a storage"}},
      {"collect", {&command_collect, "Merge per-node storages of one experiment into one"}},
      {"status", {&command_status, "Runs done, failed, running per shard and the failure rate so far"}},
      {"submit", {&command_submit, "Run an experiment's shards on Slurm (job array) or Kubernetes (Indexed Job)"}},
      {"tools", {&command_tools, "summary, dump-trace, visualize"}},
  };
  return table;
}

void print_help(std::ostream& out) {
  out << "usage: nmz <command> [arguments]\n\n"
         "nmz is a programmable fuzzy scheduler for testing distributed systems.\n\n"
         "commands:\n";
  for (const auto& [name, verb] : verbs()) out << "  " << name << std::string(14 - name.size(), ' ') << verb.synopsis << "\n";
  out << "\nRun `nmz <command> -h` for a command's flags.\n";
}

}  // namespace

int run_cli(const std::vector<std::string>& args) {
  if (args.empty()) {
    print_help(std::cerr);
    return 2;
  }
  const std::string& verb = args[0];
  if (verb == "-h" || verb == "-help" || verb == "--help" || verb == "help") {
    print_help(std::cout);
    return 0;
  }
  if (verb == "-v" || verb == "-version" || verb == "--version") return command_version({});
  auto it = verbs().find(verb);
  if (it == verbs().end()) {
    std::cerr << "nmz: unknown command \"" << verb << "\"\n\n";
    print_help(std::cerr);
    return 2;
  }
  // A plugin that crashes takes nmz down with it: say which one, and how.
  install_plugin_crash_report();
  return it->second.run(std::vector<std::string>(args.begin() + 1, args.end()));
}

}  // namespace nmz::core::cli
