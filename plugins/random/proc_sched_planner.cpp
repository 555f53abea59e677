// SPDX-License-Identifier: Apache-2.0
#include "proc_sched_planner.hpp"

#include <algorithm>
#include <numeric>

namespace nmz::plugins {
namespace {

using sdk::SchedAttr;
using sdk::SchedPolicy;

void plan_mild(const ProcSettings& settings, sdk::ProcSchedPlan& plan, const std::vector<int>& tids,
               SeededRandom& random) {
  for (int tid : tids) {
    SchedAttr attr;
    attr.policy = settings.use_batch ? SchedPolicy::batch : SchedPolicy::normal;
    attr.nice = static_cast<std::int32_t>(random.between(-20, 19));
    plan.attrs[tid] = attr;
  }
}

void plan_extreme(const ProcSettings& settings, sdk::ProcSchedPlan& plan, const std::vector<int>& tids,
                  SeededRandom& random) {
  // Distinct threads (a partial Fisher-Yates shuffle): Namazu drew indices
  // with replacement, so fewer than `prioritized` threads were often favoured.
  std::vector<std::size_t> order(tids.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto favoured = std::min<std::size_t>(order.size(), static_cast<std::size_t>(settings.prioritized));
  for (std::size_t i = 0; i < favoured; ++i) {
    std::swap(order[i], order[i + random.below(order.size() - i)]);
  }
  for (int tid : tids) plan.attrs[tid].policy = SchedPolicy::batch;
  for (std::size_t i = 0; i < favoured; ++i) {
    SchedAttr& attr = plan.attrs[tids[order[i]]];
    attr.policy = SchedPolicy::rr;
    attr.priority = static_cast<std::uint32_t>(random.between(kMinRrPriority, kMaxRrPriority));
  }
}

void plan_dirichlet(const ProcSettings& settings, sdk::ProcSchedPlan& plan, const std::vector<int>& tids, int cpus,
                    SeededRandom& random) {
  // A flat Dirichlet sample: normalised Gamma(1, 1) draws.
  std::vector<double> ratios(tids.size());
  for (double& ratio : ratios) ratio = random.exponential();
  double total = std::accumulate(ratios.begin(), ratios.end(), 0.0);
  for (std::size_t i = 0; i < tids.size(); ++i) {
    SchedAttr& attr = plan.attrs[tids[i]];
    if (random.chance(settings.reset_probability)) {
      attr.policy = SchedPolicy::normal;
      continue;
    }
    double ratio = total > 0 ? ratios[i] / total : 1.0 / static_cast<double>(tids.size());
    // Namazu handed out all CPUs (ratio x cpus), but the kernel admits
    // DEADLINE tasks only up to its RT limit (95% by default), so the last
    // threads of a set got EBUSY: the "kernel bug" of Namazu's README. Stay
    // under it, and keep one task below a whole CPU.
    auto runtime = std::chrono::nanoseconds(static_cast<std::int64_t>(
        static_cast<double>(kDeadlinePeriod.count()) * ratio * cpus * kDeadlineAdmissionShare));
    attr.policy = SchedPolicy::deadline;
    attr.flags = sdk::kSchedFlagResetOnFork;
    attr.runtime = std::clamp(runtime, kMinDeadlineRuntime, kMaxDeadlineRuntime);
    attr.deadline = kDeadlinePeriod;
    attr.period = kDeadlinePeriod;
  }
}

void plan_affinity(AffinityMode mode, sdk::ProcSchedPlan& plan, int cpus, SeededRandom& random) {
  if (mode == AffinityMode::none) return;
  auto pick = [&] { return static_cast<int>(random.below(static_cast<std::uint64_t>(cpus))); };
  int shared = mode == AffinityMode::squeeze ? pick() : 0;
  for (auto& [tid, attr] : plan.attrs) attr.cpus = {mode == AffinityMode::squeeze ? shared : pick()};
}

void plan_pauses(const ProcSettings& settings, sdk::ProcSchedPlan& plan, const std::vector<int>& pids,
                 SeededRandom& random) {
  if (settings.pause_probability <= 0) return;
  for (int pid : pids) {
    if (!random.chance(settings.pause_probability)) continue;
    // (0, maxPause]: a zero pause would be no pause at all.
    plan.pauses[pid] = std::chrono::nanoseconds(random.between(1, settings.max_pause.count()));
  }
}

}  // namespace

sdk::ProcSchedPlan plan_proc_sched(const ProcSettings& settings, const std::vector<int>& tids,
                                   const std::vector<int>& pids, int cpus, SeededRandom& random) {
  sdk::ProcSchedPlan plan;
  switch (settings.policy) {
    case ProcPolicy::mild:
      plan_mild(settings, plan, tids, random);
      break;
    case ProcPolicy::extreme:
      plan_extreme(settings, plan, tids, random);
      break;
    case ProcPolicy::dirichlet:
      plan_dirichlet(settings, plan, tids, cpus, random);
      break;
  }
  plan_affinity(settings.affinity, plan, cpus, random);
  plan_pauses(settings, plan, pids, random);
  return plan;
}

}  // namespace nmz::plugins
