// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

#include "fs_op.hpp"
#include "seeded_random.hpp"

namespace nmz::plugins::fs {

// What a FilesystemFaultAction may ask for (option "kind").
enum class FaultKind {
  error,          // "errno": the operation fails with an errno, not performed (post- ones: result dropped)
  short_write,    // "short-write": a write stores only its first part and reports that length
  lose_unsynced,  // "lose-unsynced": crash simulation, every unsynced write is undone, then errno
  slow_fsync,     // "slow-fsync": fsync-family operations are delayed, others proceed at once
};

std::string_view fault_kind_name(FaultKind kind) noexcept;
sdk::Result<FaultKind> parse_fault_kind(std::string_view text);
// "EIO", "enospc" or a positive number.
sdk::Result<int> parse_errno(std::string_view text);

// How one inspected operation goes on.
struct Verdict {
  enum class Kind { proceed, fail, short_write, lose_unsynced, delay_then_proceed };
  Kind kind = Kind::proceed;
  int error = 0;                          // fail, lose_unsynced
  std::optional<std::uint64_t> keep_bytes;  // short_write: bytes to store (default: half)
  std::chrono::nanoseconds delay{0};      // delay_then_proceed
};

// Defaults for fault actions that leave things out, from the inspector's flags.
struct FaultDefaults {
  std::vector<int> errnos;            // one is picked at random when the action has no "errno"
  std::vector<FaultKind> kinds;       // one that fits the operation, when the action has no "kind" (none fits: proceed)
  std::chrono::nanoseconds fsync_delay{std::chrono::seconds(1)};
};

// Turns actions into verdicts. Random choices come from the run's seed.
// Thread-safe.
class FaultVerdicts {
 public:
  FaultVerdicts(FaultDefaults defaults, std::uint64_t seed);

  // An error Status (with a proceed verdict implied) for actions it cannot
  // interpret: the caller logs it and fails open.
  sdk::Result<Verdict> decide(FsOp op, const sdk::Action& action);

  [[nodiscard]] const FaultDefaults& defaults() const noexcept { return defaults_; }

 private:
  std::size_t pick(std::size_t count);
  sdk::Result<Verdict> fault(FaultKind kind, const sdk::Action& action);

  FaultDefaults defaults_;
  std::mutex mutex_;
  SeededRandom random_;
};

}  // namespace nmz::plugins::fs
