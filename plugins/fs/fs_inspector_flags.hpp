// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "event_gate.hpp"
#include "fault_verdict.hpp"

namespace nmz::plugins::fs {

// Everything `nmz inspectors fs` is told on its command line, checked.
struct FsInspectorFlags {
  std::string original_dir;
  std::string mount_point;
  EventGateSettings gate;
  FaultDefaults faults;
  bool track_unsynced = false;
  std::chrono::nanoseconds cache_timeout{std::chrono::seconds(1)};
  bool writeback = false;
  std::int64_t max_threads = 128;
  std::vector<std::string> command;  // after "--"; empty: serve until stopped
};

// Parses (Go-style flags, see nmz::sdk::FlagSet) and validates the values;
// the directories themselves are checked by check_mount_dirs.
sdk::Result<FsInspectorFlags> parse_fs_inspector_flags(const std::vector<std::string>& args);

}  // namespace nmz::plugins::fs
