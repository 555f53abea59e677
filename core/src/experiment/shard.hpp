// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "experiment/experiment_run.hpp"
#include "experiment/storage.hpp"

namespace nmz::core::experiment {

// One of `count` copies of `nmz run` that together run an experiment, as a
// cluster engine starts them (Slurm array task, Kubernetes completion
// index). Experiment run number r (0 <= r < -n) belongs to shard r % count
// and is stored as run index kShardRunBase + r: the same on every node and
// for any shard count, so shards never collide with each other nor with
// local runs (numbered from 0), and a shard started again only runs the
// numbers that have no directory yet.
struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  [[nodiscard]] std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// "I/N" with 0 <= I < N; the error names what was expected.
sdk::Result<Shard> parse_shard(const std::string& text);

// The experiment run numbers of `shard` below `total` whose directory does
// not exist yet, in order.
std::vector<std::uint64_t> pending_shard_runs(const Storage& storage, const Shard& shard, std::uint64_t total);

// One shard run: claims the directory of run number `number` (refusing one
// that exists), records shard.json in it, holds <run>/running.lock for as
// long as this process lives (so `nmz status` tells a running run from a
// killed one) and runs it as execute_run does.
int execute_shard_run(const Storage& storage, const Shard& shard, std::uint64_t number, RunOptions options);

// What a run directory says about its run.
enum class RunState { finished, running, interrupted };
RunState run_state(const std::filesystem::path& run_dir);

}  // namespace nmz::core::experiment
