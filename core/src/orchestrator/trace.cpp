// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/trace.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include <nmz/sdk/signal_json.hpp>

#include "util/atomic_file.hpp"

namespace nmz::core {

using nlohmann::json;
using sdk::Result;
using sdk::Status;

namespace {
std::int64_t to_ns(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
std::chrono::system_clock::time_point from_ns(std::int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
}
}  // namespace

std::string trace_entry_to_json_line(const TraceEntry& entry) {
  json line{{"action", json::parse(sdk::to_json(entry.action))},
            {"event", entry.event ? json::parse(sdk::to_json(*entry.event)) : json(nullptr)},
            {"event_arrived_ns", to_ns(entry.event_arrived)},
            {"action_triggered_ns", to_ns(entry.action_triggered)}};
  return line.dump();
}

Result<TraceEntry> trace_entry_from_json_line(std::string_view text) {
  json line = json::parse(text, nullptr, false);
  if (!line.is_object() || !line.contains("action")) return Status::invalid("not a trace entry");
  TraceEntry entry;
  auto action = sdk::action_from_json(line["action"].dump());
  if (!action) return action.status();
  entry.action = std::move(action).value();
  if (line.contains("event") && !line["event"].is_null()) {
    auto event = sdk::event_from_json(line["event"].dump());
    if (!event) return event.status();
    entry.event = std::move(event).value();
  }
  entry.event_arrived = from_ns(line.value("event_arrived_ns", std::int64_t{0}));
  entry.action_triggered = from_ns(line.value("action_triggered_ns", std::int64_t{0}));
  return entry;
}

Status write_trace(const std::filesystem::path& path, const Trace& trace) {
  std::string text;
  for (const auto& entry : trace) {
    text += trace_entry_to_json_line(entry);
    text += '\n';
  }
  return write_file_atomically(path, text);
}

Result<Trace> read_trace(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::error(sdk::StatusCode::not_found, path.string() + ": cannot open trace");
  Trace trace;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    auto entry = trace_entry_from_json_line(line);
    if (!entry) return Status::invalid(path.string() + ":" + std::to_string(number) + ": " + entry.status().message());
    trace.push_back(std::move(entry).value());
  }
  return trace;
}

}  // namespace nmz::core
