// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "config/config.hpp"

namespace nmz::core::experiment {

// Namazu's experiment storage (docs/experiments.md):
//   <storage>/config.toml, materials/, SearchModeInfo, and one %08x
//   directory per run holding nmz.log, trace.jsonl, actions/, result.json.
// SearchModeInfo is JSON here ({"NrCollectedTraces": N}), not Go's gob.
class Storage {
 public:
  struct Run {
    std::uint64_t index = 0;
    std::filesystem::path dir;
    [[nodiscard]] std::string id() const;
  };

  // Checks that `root` looks like a storage made by `nmz init`.
  static sdk::Result<Storage> open(const std::filesystem::path& root);

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
  [[nodiscard]] std::filesystem::path config_path() const { return root_ / "config.toml"; }
  [[nodiscard]] std::filesystem::path materials_dir() const { return root_ / "materials"; }
  [[nodiscard]] sdk::Result<Config> load_config() const;

  // Takes the next run number and creates its directory, under an
  // exclusive lock on the storage so that several `nmz run` at once never
  // share a number.
  [[nodiscard]] sdk::Result<Run> allocate_run() const;
  // Creates the directory of run `index` under the same lock; an error if
  // it exists (a shard's run, see shard.hpp).
  [[nodiscard]] sdk::Result<Run> claim_run(std::uint64_t index) const;
  // Every run directory, in run order.
  [[nodiscard]] std::vector<Run> runs() const;

 private:
  explicit Storage(std::filesystem::path root) : root_(std::move(root)) {}
  // Runs `take` with the storage's exclusive lock held.
  template <typename Take>
  sdk::Result<Run> locked(Take take) const;
  std::filesystem::path root_;
};

// Run directory names: %08x of the run number. Local runs count up from 0;
// shard runs (`nmz run --shard`) live from kShardRunBase on.
inline constexpr std::uint64_t kShardRunBase = 0x80000000;
std::string run_id(std::uint64_t index);

// Hard links `from`'s tree into `to` (copies across filesystems; symbolic
// links stay links): the storage's materials, and runs `nmz collect` merges.
sdk::Status link_tree(const std::filesystem::path& from, const std::filesystem::path& to);

struct InitOptions {
  bool force = false;
  // Config warnings (unknown keys) are errors.
  bool strict = false;
};

// `nmz init`: checks and copies the config, hard-links the materials (copies
// across filesystems), writes SearchModeInfo and runs the init script.
// Errors say which path or key is wrong.
sdk::Status init_storage(const std::filesystem::path& config_file, const std::filesystem::path& materials,
                         const std::filesystem::path& storage, InitOptions options);

}  // namespace nmz::core::experiment
