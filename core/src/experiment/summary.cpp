// SPDX-License-Identifier: Apache-2.0
#include "experiment/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
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
std::string shortened(const std::string& text, std::size_t limit) {
  return text.size() <= limit ? text : text.substr(0, limit - 3) + "...";
}

void count_signature(StorageSummary& summary, std::map<std::string, std::size_t>& rows, StorageSummary::RunRow& row) {
  const RunResult& result = *row.result;
  if (result.signature.empty()) {
    ++summary.unsigned_runs;
    return;
  }
  auto [it, added] = rows.try_emplace(result.signature, summary.signatures.size());
  if (added) {
    StorageSummary::SignatureRow signature;
    signature.id = result.signature;
    signature.text = result.signature_text;
    signature.first_run = row.id;
    summary.signatures.push_back(std::move(signature));
  }
  row.new_signature = added;
  auto& s = summary.signatures[it->second];
  ++s.runs;
  if (result.status == RunStatus::failed) ++s.failed;
}

// A table of growth points with a bar each: whether exploration saturates.
void growth_text(std::ostringstream& out, const StorageSummary& s) {
  constexpr std::size_t kBar = 40;
  const auto points = s.signature_growth(10);
  if (points.empty()) return;
  const double top = static_cast<double>(std::max<std::uint64_t>(1, points.back().second));
  out << "signature growth (distinct signatures after N runs):\n";
  for (const auto& [runs, distinct] : points) {
    char line[64];
    std::snprintf(line, sizeof line, "  %6llu runs %5llu  ", static_cast<unsigned long long>(runs),
                  static_cast<unsigned long long>(distinct));
    const auto bar = static_cast<std::size_t>(static_cast<double>(distinct) / top * kBar + 0.5);
    out << line << std::string(bar, '#') << "\n";
  }
}

}  // namespace

std::vector<std::pair<std::uint64_t, std::uint64_t>> StorageSummary::signature_growth(std::size_t points) const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  const std::size_t n = rows.size();
  for (std::size_t i = 1; i <= points && n > 0; ++i) {
    const std::size_t run = (n * i + points - 1) / points;
    if (!out.empty() && out.back().first == run) continue;
    out.emplace_back(run, rows[run - 1].signatures_so_far);
  }
  return out;
}

StorageSummary summarize(const Storage& storage, bool po_reduction) {
  StorageSummary summary;
  summary.storage = storage.root().string();
  summary.po_reduction = po_reduction;
  std::set<std::string> signatures;
  std::map<std::string, std::size_t> signature_rows;  // id -> index in summary.signatures
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
        count_signature(summary, signature_rows, row);
      }
    }
    const std::uint64_t decided = summary.decided();
    row.rate_so_far = decided == 0 ? 0 : static_cast<double>(summary.failed) / static_cast<double>(decided);
    row.interval_so_far = wilson_interval(summary.failed, decided);
    row.distinct_so_far = signatures.size();
    row.signatures_so_far = summary.signatures.size();
    summary.rows.push_back(std::move(row));
  }
  for (auto& s : summary.signatures) {
    s.failure_rate = static_cast<double>(s.failed) / static_cast<double>(s.runs);
    s.interval = wilson_interval(s.failed, s.runs);
  }
  std::stable_sort(summary.signatures.begin(), summary.signatures.end(),
                   [](const auto& a, const auto& b) { return a.runs > b.runs; });
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
      << "\n"
      << "signatures:       " << s.signatures.size() << " distinct in " << (s.decided() - s.unsigned_runs)
      << " passed or failed runs";
  if (s.unsigned_runs > 0) out << " (" << s.unsigned_runs << " more without a signature)";
  out << "\n";
  for (const auto& sig : s.signatures) {
    char line[160];
    std::snprintf(line, sizeof line, "  %s  %4llu runs  %4llu failed  %5.1f%% [95%% %5.1f%%, %5.1f%%]  first %s  ",
                  sig.id.c_str(), static_cast<unsigned long long>(sig.runs), static_cast<unsigned long long>(sig.failed),
                  sig.failure_rate * 100, sig.interval.low * 100, sig.interval.high * 100, sig.first_run.c_str());
    out << line << shortened(sig.text, 100) << "\n";
  }
  growth_text(out, s);
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
    json r{{"id", row.id}, {"distinct", row.distinct}, {"new_signature", row.new_signature}};
    if (row.result) {
      r["status"] = to_string(row.result->status);
      r["reason"] = row.result->reason;
      r["required_time_ns"] = row.result->required_time.count();
      r["policy"] = row.result->policy;
      r["seed"] = row.result->seed;
      r["signature"] = row.result->signature;
      if (row.result->status != RunStatus::passed) failing.push_back({{"id", row.id}, {"status", r["status"]}, {"reason", row.result->reason}});
    }
    if (!row.error.empty()) {
      r["error"] = row.error;
      unreadable.push_back({{"id", row.id}, {"error", row.error}});
    }
    runs.push_back(std::move(r));
  }
  json signatures = json::array();
  for (const auto& sig : s.signatures) {
    signatures.push_back({{"signature", sig.id},
                          {"signature_text", sig.text},
                          {"first_run", sig.first_run},
                          {"runs", sig.runs},
                          {"failed", sig.failed},
                          {"failure_rate", sig.failure_rate},
                          {"failure_rate_interval95", {sig.interval.low, sig.interval.high}}});
  }
  json growth = json::array();
  for (std::size_t i = 0; i < s.rows.size(); ++i) growth.push_back({i + 1, s.rows[i].signatures_so_far});
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
              {"distinct_signatures", s.signatures.size()},
              {"unsigned_runs", s.unsigned_runs},
              {"signatures", signatures},
              {"signature_growth", growth},
              {"failing_runs", failing},
              {"unreadable_runs", unreadable},
              {"per_run", runs}};
}

}  // namespace nmz::core::experiment
