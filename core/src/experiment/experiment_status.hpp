// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "experiment/statistics.hpp"
#include "experiment/storage.hpp"

namespace nmz::core::experiment {

struct RunCounts {
  std::uint64_t passed = 0;
  std::uint64_t failed = 0;
  std::uint64_t broken = 0;  // includes runs whose result.json cannot be read
  std::uint64_t running = 0;
  std::uint64_t interrupted = 0;  // killed: no result.json and nobody holds the run
  void add(const RunCounts& other);
};

// `nmz status`: where an experiment stands while its shards still run.
struct ExperimentStatus {
  std::map<std::string, RunCounts> by_shard;  // "I/N" from shard.json, "local" for plain runs
  RunCounts total;
  Interval failure_interval;  // 95% Wilson interval of failed / (passed + failed)
  [[nodiscard]] double failure_rate() const;
  [[nodiscard]] std::string text() const;
  [[nodiscard]] nlohmann::json to_json() const;
};

ExperimentStatus experiment_status(const Storage& storage);

}  // namespace nmz::core::experiment
