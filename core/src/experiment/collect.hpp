// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::core::experiment {

struct CollectReport {
  std::size_t copied = 0;
  std::size_t already_there = 0;  // identical run in the destination: collecting twice is harmless
  std::size_t still_running = 0;  // left for a later collect
};

// `nmz collect`: merges the runs of the storages `sources` (per-node
// storages of one experiment) into `destination`, created from the first
// source when missing. Checks everything before it writes anything: every
// source must hold the destination's config.toml, and a run id present on
// both sides must have the same result.json (else it names the conflict and
// merges nothing). Each run lands whole (copied aside, then renamed).
sdk::Result<CollectReport> collect_storages(const std::filesystem::path& destination,
                                            const std::vector<std::filesystem::path>& sources);

}  // namespace nmz::core::experiment
