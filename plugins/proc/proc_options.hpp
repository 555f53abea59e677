// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::proc {

// What `nmz inspectors proc` was asked to do.
struct ProcOptions {
  int pid = 0;                    // inspect this running tree, or...
  std::vector<std::string> argv;  // ...start this command and inspect it
  std::string stdout_path;        // the command's stdout/stderr (appended to)
  std::string stderr_path;
  std::chrono::nanoseconds watch_interval = std::chrono::seconds(1);
  std::uint64_t runs = 0;  // loop mode (-n): run the command this many times; 0: once, status passed through
  bool until_failure = false;
};

inline constexpr std::chrono::nanoseconds kMinWatchInterval = std::chrono::milliseconds(1);

// Parses `-pid PID | -cmd "CMD ARGS" | -- CMD ARGS...`, `-stdout FILE`,
// `-stderr FILE`, `-watch-interval D`, `-n N` and `-until-failure`, and checks what can be checked
// without changing anything: the process exists, the executable can be
// run. Errors name the flag.
sdk::Result<ProcOptions> parse_proc_options(const std::vector<std::string>& args);

// `-help` text.
std::string proc_usage();

}  // namespace nmz::plugins::proc
