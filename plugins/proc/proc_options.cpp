// SPDX-License-Identifier: Apache-2.0
#include "proc_options.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <nmz/sdk/duration.hpp>
#include <nmz/sdk/flags.hpp>

namespace nmz::plugins::proc {
namespace {

constexpr const char* kCommand = "nmz inspectors proc";

struct RawFlags {
  std::int64_t pid = -1;
  std::string cmd;
  std::string stdout_path;
  std::string stderr_path;
  std::chrono::nanoseconds watch_interval = std::chrono::seconds(1);
  std::int64_t runs = 0;
  bool until_failure = false;
};

void declare(sdk::FlagSet& flags, RawFlags& raw) {
  flags.add_int("pid", &raw.pid, "root process of the tree to inspect");
  flags.add_string("cmd", &raw.cmd, "command to start and inspect, split on spaces (or give it after --)");
  flags.add_string("stdout", &raw.stdout_path, "file for the command's stdout (created, appended to)");
  flags.add_string("stderr", &raw.stderr_path, "file for the command's stderr (default: the -stdout file)");
  flags.add_duration("watch-interval", &raw.watch_interval,
                     "how often every thread gets a fresh scheduling decision (at least 1ms)");
  flags.add_int("n", &raw.runs, "loop mode: run the command N times in this nmz");
  flags.add_bool("until-failure", &raw.until_failure, "loop mode: stop at the first failing run");
}

sdk::Status invalid(const std::string& message) { return sdk::Status::invalid(std::string(kCommand) + ": " + message); }

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// Checks that argv[0] names something executable, as execvp would find it.
sdk::Status check_executable(const std::string& program) {
  auto problem = [&](const std::string& path) -> std::string {
    if (access(path.c_str(), X_OK) == 0) return {};
    return std::strerror(errno);
  };
  if (program.find('/') != std::string::npos) {
    if (auto error = problem(program); !error.empty()) return invalid("cannot run \"" + program + "\": " + error);
    return sdk::Status::ok();
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (problem((dir.empty() ? "." : dir) + "/" + program).empty()) return sdk::Status::ok();
  }
  return invalid("cannot run \"" + program + "\": not found in PATH");
}

}  // namespace

sdk::Result<ProcOptions> parse_proc_options(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "-h" || arg == "-help" || arg == "--help") return sdk::Status::invalid(proc_usage());
  }
  sdk::FlagSet flags(kCommand);
  RawFlags raw;
  declare(flags, raw);
  if (auto status = flags.parse(args); !status) return status;

  ProcOptions options;
  options.watch_interval = raw.watch_interval;
  options.stdout_path = raw.stdout_path;
  options.stderr_path = raw.stderr_path.empty() ? raw.stdout_path : raw.stderr_path;
  if (raw.watch_interval < kMinWatchInterval) {
    return invalid("flag -watch-interval: expected at least 1ms, got " + sdk::format_duration(raw.watch_interval));
  }
  const bool has_cmd = flags.was_set("cmd");
  const bool has_positionals = !flags.positionals().empty();
  if (has_cmd && has_positionals) {
    return invalid("give the command either with -cmd or after --, not both");
  }
  if (flags.saw_double_dash() && !has_positionals) return invalid("nothing after --: expected a command to run");
  options.argv = has_cmd ? split_words(raw.cmd) : flags.positionals();
  if (has_cmd && options.argv.empty()) return invalid("flag -cmd: expected a command, got an empty string");
  const bool has_pid = flags.was_set("pid");
  if (has_pid && !options.argv.empty()) return invalid("you cannot set both -pid and a command");
  if (!has_pid && options.argv.empty()) {
    return invalid("nothing to inspect: give -pid PID, or a command after -- (or with -cmd)");
  }
  if (options.argv.empty() && (flags.was_set("stdout") || flags.was_set("stderr"))) {
    return invalid("flags -stdout and -stderr apply to a command started by nmz, not to -pid");
  }
  if (flags.was_set("n") && raw.runs < 1) return invalid("flag -n: expected 1 or more runs, got " + std::to_string(raw.runs));
  if (!flags.was_set("n") && raw.until_failure) return invalid("flag -until-failure: only with loop mode (-n N)");
  if (has_pid && flags.was_set("n")) return invalid("flag -n: loop mode runs a command, it cannot repeat -pid");
  options.runs = static_cast<std::uint64_t>(raw.runs);
  options.until_failure = raw.until_failure;
  if (has_pid) {
    if (raw.pid <= 0 || raw.pid > 0x7fffffff) {
      return invalid("flag -pid: expected a positive process id, got " + std::to_string(raw.pid));
    }
    options.pid = static_cast<int>(raw.pid);
    if (options.pid == getpid()) return invalid("flag -pid: " + std::to_string(raw.pid) + " is nmz itself");
    if (kill(options.pid, 0) != 0 && errno == ESRCH) {
      return invalid("flag -pid: no process " + std::to_string(raw.pid));
    }
    return options;
  }
  if (auto status = check_executable(options.argv.front()); !status) return status;
  return options;
}

std::string proc_usage() {
  sdk::FlagSet flags(kCommand);
  RawFlags raw;
  declare(flags, raw);
  return std::string("usage: ") + kCommand + " [flags] (-pid PID | -- CMD ARGS... | -cmd \"CMD ARGS\")\n" +
         flags.usage();
}

}  // namespace nmz::plugins::proc
