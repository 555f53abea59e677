// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <nmz/sdk/proc_sched.hpp>

#include "seeded_random.hpp"

namespace nmz::plugins {

// Namazu's three proc policies.
enum class ProcPolicy { mild, extreme, dirichlet };
// nmz extension: where the threads may run.
enum class AffinityMode { none, shuffle, squeeze };

// `procPolicy` and `[explorePolicyParam.procPolicyParam]`.
struct ProcSettings {
  ProcPolicy policy = ProcPolicy::mild;
  bool use_batch = true;         // mild
  std::int64_t prioritized = 3;  // extreme
  double reset_probability = 0.1;  // dirichlet
  AffinityMode affinity = AffinityMode::none;
  double pause_probability = 0.0;
  std::chrono::nanoseconds max_pause = std::chrono::milliseconds(50);
};

// SCHED_DEADLINE parameters of the dirichlet policy (Namazu's 1 ms period).
inline constexpr std::chrono::nanoseconds kDeadlinePeriod = std::chrono::milliseconds(1);
// The kernel refuses a runtime below 2^10 ns (sched_setattr(2), EINVAL).
inline constexpr std::chrono::nanoseconds kMinDeadlineRuntime{1024};
// Share of the CPUs dirichlet hands out, below the kernel's default DEADLINE
// admission limit (sched_rt_runtime_us / sched_rt_period_us = 95%).
inline constexpr double kDeadlineAdmissionShare = 0.9;
inline constexpr std::chrono::nanoseconds kMaxDeadlineRuntime = std::chrono::microseconds(900);
// Linux SCHED_RR priorities are 1..99; Namazu's range was 0..9, and 0 fails.
inline constexpr std::uint32_t kMinRrPriority = 1;
inline constexpr std::uint32_t kMaxRrPriority = 10;

// Draws the scheduling of one ProcSetEvent's threads (`tids`, at least one)
// and the pauses of its processes (`pids`), from `random`, in a fixed order:
// the proc policy's draws thread by thread, then affinity, then pauses.
// `cpus` is the number of CPUs (at least 1).
sdk::ProcSchedPlan plan_proc_sched(const ProcSettings& settings, const std::vector<int>& tids,
                                   const std::vector<int>& pids, int cpus, SeededRandom& random);

}  // namespace nmz::plugins
