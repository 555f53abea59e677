// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::core {

// One handled action with the event that caused it (ShellActions have none),
// in the order the orchestrator handled them.
struct TraceEntry {
  sdk::Action action;
  std::optional<sdk::Event> event;
  std::chrono::system_clock::time_point event_arrived{};
  std::chrono::system_clock::time_point action_triggered{};
};

using Trace = std::vector<TraceEntry>;

// The portable trace format: one JSON object per line,
// {"action":{...},"event":{...}|null,"event_arrived_ns":N,"action_triggered_ns":N}
// (signals in their REST v3 form, times in ns since the Unix epoch).
std::string trace_entry_to_json_line(const TraceEntry& entry);
sdk::Result<TraceEntry> trace_entry_from_json_line(std::string_view line);

// Writes `trace` atomically as JSON lines.
sdk::Status write_trace(const std::filesystem::path& path, const Trace& trace);
// Reads a JSON-lines trace; errors name the file and line.
sdk::Result<Trace> read_trace(const std::filesystem::path& path);

}  // namespace nmz::core
