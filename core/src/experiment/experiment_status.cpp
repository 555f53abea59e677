// SPDX-License-Identifier: Apache-2.0
#include "experiment/experiment_status.hpp"

#include <cstdio>
#include <fstream>

#include "experiment/run_result.hpp"
#include "experiment/shard.hpp"

namespace nmz::core::experiment {

namespace fs = std::filesystem;

namespace {

std::string shard_of(const fs::path& run_dir) {
  std::ifstream in(run_dir / "shard.json");
  if (!in) return "local";
  auto record = nlohmann::json::parse(in, nullptr, false);
  if (!record.is_object() || !record.contains("shard") || !record.contains("shards")) return "unreadable shard.json";
  return record["shard"].dump() + "/" + record["shards"].dump();
}

nlohmann::json counts_json(const RunCounts& counts) {
  return {{"passed", counts.passed},   {"failed", counts.failed},          {"broken", counts.broken},
          {"running", counts.running}, {"interrupted", counts.interrupted}};
}

}  // namespace

void RunCounts::add(const RunCounts& other) {
  passed += other.passed;
  failed += other.failed;
  broken += other.broken;
  running += other.running;
  interrupted += other.interrupted;
}

double ExperimentStatus::failure_rate() const {
  const auto decided = total.passed + total.failed;
  return decided == 0 ? 0.0 : static_cast<double>(total.failed) / static_cast<double>(decided);
}

ExperimentStatus experiment_status(const Storage& storage) {
  ExperimentStatus status;
  for (const auto& run : storage.runs()) {
    RunCounts one;
    switch (run_state(run.dir)) {
      case RunState::running: one.running = 1; break;
      case RunState::interrupted: one.interrupted = 1; break;
      case RunState::finished: {
        auto result = read_run_result(run.dir / "result.json");
        if (!result) {
          one.broken = 1;
          break;
        }
        switch (result->status) {
          case RunStatus::passed: one.passed = 1; break;
          case RunStatus::failed: one.failed = 1; break;
          // A run that hit runTimeout counts as failed: status has no column of its own for it.
          case RunStatus::timeout: one.failed = 1; break;
          case RunStatus::broken: one.broken = 1; break;
          case RunStatus::interrupted: one.interrupted = 1; break;
        }
      }
    }
    status.by_shard[shard_of(run.dir)].add(one);
    status.total.add(one);
  }
  status.failure_interval = wilson_interval(status.total.failed, status.total.passed + status.total.failed);
  return status;
}

std::string ExperimentStatus::text() const {
  std::string out;
  char line[256];
  auto row = [&](const std::string& name, const RunCounts& c) {
    std::snprintf(line, sizeof line, "%-12s %8llu %8llu %8llu %8llu %12llu\n", name.c_str(),
                  static_cast<unsigned long long>(c.passed), static_cast<unsigned long long>(c.failed),
                  static_cast<unsigned long long>(c.broken), static_cast<unsigned long long>(c.running),
                  static_cast<unsigned long long>(c.interrupted));
    out += line;
  };
  std::snprintf(line, sizeof line, "%-12s %8s %8s %8s %8s %12s\n", "shard", "passed", "failed", "broken", "running",
                "interrupted");
  out += line;
  for (const auto& [name, counts] : by_shard) row(name, counts);
  row("total", total);
  std::snprintf(line, sizeof line, "failure rate %.1f%% [95%% %.1f%%, %.1f%%] of %llu decided runs\n",
                100 * failure_rate(), 100 * failure_interval.low, 100 * failure_interval.high,
                static_cast<unsigned long long>(total.passed + total.failed));
  out += line;
  return out;
}

nlohmann::json ExperimentStatus::to_json() const {
  nlohmann::json shards = nlohmann::json::object();
  for (const auto& [name, counts] : by_shard) shards[name] = counts_json(counts);
  return {{"shards", shards},
          {"total", counts_json(total)},
          {"failure_rate", failure_rate()},
          {"failure_rate_interval95", {failure_interval.low, failure_interval.high}}};
}

}  // namespace nmz::core::experiment
