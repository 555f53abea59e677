// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "region.hpp"

// Which of the threads that could run next does run: PCT (Burckhardt et al.,
// "A randomized scheduler with probabilistic guarantees of finding bugs",
// ASPLOS 2010) or a uniform random walk. Both draw every random number from
// one generator seeded with the run's seed, and are called in the order of
// the scheduling decisions only, so a deterministic program gets the same
// schedule from the same seed. Not thread-safe: the scheduler calls it under
// its lock.
namespace nmz::native::preload {

class ChoicePolicy {
 public:
  void configure(PolicyKind kind, std::uint32_t depth, std::uint64_t seed, std::uint64_t steps);

  // A thread came into existence (PCT gives it a random priority above
  // every priority-change value).
  void on_new_thread(std::uint32_t index);
  // The thread asked to let others run (sched_yield, a sleep): PCT drops it
  // below everyone, the random walk avoids it once if it can. Without this, a
  // thread spinning on yield would starve the one it waits for.
  void on_yield(std::uint32_t index);

  // `count` >= 2 candidates; `current` is the thread at the scheduling point
  // (-1 when none). `decision` is the 1-based number of this choice point.
  std::uint32_t choose(const std::uint32_t* candidates, std::uint32_t count, std::int32_t current,
                       std::uint64_t decision);

  // Whether choice point `decision` changes a priority (PCT): the answer
  // may then differ from the previous one even if nothing else changed.
  [[nodiscard]] bool is_change_point(std::uint64_t decision) const;

 private:
  std::uint64_t next_random();

  static constexpr std::uint32_t kMaxDepth = 64;
  PolicyKind kind_ = PolicyKind::pct;
  std::uint64_t rng_state_ = 0;
  std::uint32_t change_count_ = 0;
  std::uint64_t change_steps_[kMaxDepth] = {};
  std::int64_t lowest_ = 0;  // below every change value: where yields go
  std::int64_t priority_[kMaxThreads] = {};
  bool yielded_[kMaxThreads] = {};
};

}  // namespace nmz::native::preload
