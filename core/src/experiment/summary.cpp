// SPDX-License-Identifier: Apache-2.0
#include "experiment/summary.hpp"

#include <cstdio>
#include <numeric>
#include <set>
#include <sstream>

#include "experiment/trace_signature.hpp"

namespace nmz::core::experiment {

namespace {
std::string percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", fraction * 100);
  return buffer;
}
std::string seconds(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2fs", value);
  return buffer;
}
}  // namespace

StorageSummary summarize(const Storage& storage, bool po_reduction) {
  StorageSummary summary;
  summary.storage = storage.root().string();
  summary.po_reduction = po_reduction;
  std::set<std::string> signatures;
  std::vector<double> times;
  for (const auto& run : storage.runs()) {
    StorageSummary::RunRow row;
    row.id = run.id();
    auto result = read_run_result(run.dir / "result.json");
    if (!result) {
      row.error = result.status().message();
      ++summary.unreadable;
    } else {
      row.result = std::move(result).value();
      switch (row.result->status) {
        case RunStatus::passed: ++summary.passed; break;
        case RunStatus::failed: ++summary.failed; break;
        case RunStatus::broken: ++summary.broken; break;
        case RunStatus::timeout: ++summary.timed_out; break;
        case RunStatus::interrupted: ++summary.interrupted; break;
      }
      if (row.result->status == RunStatus::passed || row.result->status == RunStatus::failed) {
        times.push_back(std::chrono::duration<double>(row.result->required_time).count());
        auto trace = read_trace(run.dir / "trace.jsonl");
        if (trace) {
          row.distinct = signatures.insert(trace_signature(*trace, po_reduction)).second;
        } else {
          row.error = trace.status().message();
        }
      }
    }
    const std::uint64_t decided = summary.decided();
    row.rate_so_far = decided == 0 ? 0 : static_cast<double>(summary.failed) / static_cast<double>(decided);
    row.interval_so_far = wilson_interval(summary.failed, decided);
    row.distinct_so_far = signatures.size();
    summary.rows.push_back(std::move(row));
  }
  const std::uint64_t decided = summary.decided();
  summary.failure_rate = decided == 0 ? 0 : static_cast<double>(summary.failed) / static_cast<double>(decided);
  summary.interval = wilson_interval(summary.failed, decided);
  if (!times.empty()) {
    summary.mean_seconds = std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
    summary.p50_seconds = quantile(times, 0.5);
    summary.p95_seconds = quantile(times, 0.95);
  }
  summary.distinct_traces = signatures.size();
  return summary;
}

std::string summary_text(const StorageSummary& s) {
  std::ostringstream out;
  out << "storage:          " << s.storage << "\n"
      << "runs:             " << s.rows.size() << " (" << s.passed << " passed, " << s.failed << " failed, " << s.broken
      << " broken, " << s.timed_out << " timeout, " << s.interrupted << " interrupted, " << s.unreadable
      << " unreadable)\n"
      << "reproducibility:  " << s.failed << "/" << s.decided() << " = " << percent(s.failure_rate)
      << "  (95% Wilson interval " << percent(s.interval.low) << " to " << percent(s.interval.high) << ")\n"
      << "time per run:     mean " << seconds(s.mean_seconds) << ", p50 " << seconds(s.p50_seconds) << ", p95 "
      << seconds(s.p95_seconds) << "\n"
      << "distinct traces:  " << s.distinct_traces << (s.po_reduction ? " (per-entity partial-order reduction)" : "")
      << "\n";
  bool header = false;
  for (const auto& row : s.rows) {
    if (!row.result || row.result->status == RunStatus::passed) continue;
    if (!header) out << "failing runs:\n";
    header = true;
    out << "  " << row.id << "  " << to_string(row.result->status) << ": " << row.result->reason << "\n";
    if (row.result->status == RunStatus::failed && !row.result->seed.empty()) {
      out << "    seed " << row.result->seed << "; replay: NMZ_SEED=" << row.result->seed << " nmz run " << s.storage
          << "\n";
    }
  }
  header = false;
  for (const auto& row : s.rows) {
    if (row.error.empty()) continue;
    if (!header) out << "unreadable:\n";
    header = true;
    out << "  " << row.id << "  " << row.error << "\n";
  }
  return out.str();
}

nlohmann::json summary_json(const StorageSummary& s) {
  using nlohmann::json;
  json failing = json::array();
  json unreadable = json::array();
  json runs = json::array();
  for (const auto& row : s.rows) {
    json r{{"id", row.id}, {"distinct", row.distinct}};
    if (row.result) {
      r["status"] = to_string(row.result->status);
      r["reason"] = row.result->reason;
      r["required_time_ns"] = row.result->required_time.count();
      r["policy"] = row.result->policy;
      r["seed"] = row.result->seed;
      if (row.result->status != RunStatus::passed) failing.push_back({{"id", row.id}, {"status", r["status"]}, {"reason", row.result->reason}});
    }
    if (!row.error.empty()) {
      r["error"] = row.error;
      unreadable.push_back({{"id", row.id}, {"error", row.error}});
    }
    runs.push_back(std::move(r));
  }
  return json{{"storage", s.storage},
              {"runs", s.rows.size()},
              {"passed", s.passed},
              {"failed", s.failed},
              {"broken", s.broken},
              {"timeout", s.timed_out},
              {"interrupted", s.interrupted},
              {"unreadable", s.unreadable},
              {"failure_rate", s.failure_rate},
              {"failure_rate_interval95", {s.interval.low, s.interval.high}},
              {"time_per_run_seconds", {{"mean", s.mean_seconds}, {"p50", s.p50_seconds}, {"p95", s.p95_seconds}}},
              {"distinct_traces", s.distinct_traces},
              {"po_reduction", s.po_reduction},
              {"failing_runs", failing},
              {"unreadable_runs", unreadable},
              {"per_run", runs}};
}

}  // namespace nmz::core::experiment
