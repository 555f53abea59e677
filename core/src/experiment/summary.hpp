// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiment/run_result.hpp"
#include "experiment/statistics.hpp"
#include "experiment/storage.hpp"

namespace nmz::core::experiment {

// What `nmz summary` reports for one storage.
struct StorageSummary {
  struct RunRow {
    std::string id;
    std::optional<RunResult> result;
    std::string error;  // why result.json or trace.jsonl could not be read
    bool distinct = false;  // its trace differs from every earlier one
    // After this run: failures / (passed + failed) so far and its interval.
    double rate_so_far = 0;
    Interval interval_so_far;
    std::uint64_t distinct_so_far = 0;
    bool new_signature = false;  // no earlier run had its signature
    std::uint64_t signatures_so_far = 0;
  };
  // The runs that share one run signature (broken runs are left out: they
  // say nothing about the system's behaviour).
  struct SignatureRow {
    std::string id;
    std::string text;
    std::string first_run;
    std::uint64_t runs = 0;
    std::uint64_t failed = 0;
    double failure_rate = 0;  // failed / runs
    Interval interval;        // Wilson 95%
  };

  std::string storage;
  std::vector<RunRow> rows;
  std::uint64_t passed = 0;
  std::uint64_t failed = 0;
  std::uint64_t broken = 0;
  std::uint64_t timed_out = 0;  // a script outlived runTimeout
  std::uint64_t interrupted = 0;  // nmz died during the run
  std::uint64_t unreadable = 0;
  double failure_rate = 0;  // failed / (passed + failed): broken runs say nothing about the bug
  Interval interval;        // Wilson 95%
  double mean_seconds = 0;
  double p50_seconds = 0;
  double p95_seconds = 0;
  std::uint64_t distinct_traces = 0;
  bool po_reduction = true;
  // Most runs first, then in order of first appearance.
  std::vector<SignatureRow> signatures;
  std::uint64_t unsigned_runs = 0;  // decided runs whose result.json has no signature

  // (runs so far, distinct signatures so far) at up to `points` runs spread
  // evenly, the last run included.
  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> signature_growth(std::size_t points) const;

  [[nodiscard]] std::uint64_t decided() const noexcept { return passed + failed; }
};

StorageSummary summarize(const Storage& storage, bool po_reduction = true);
std::string summary_text(const StorageSummary& summary);
nlohmann::json summary_json(const StorageSummary& summary);

}  // namespace nmz::core::experiment
