// SPDX-License-Identifier: Apache-2.0
#include "plan_generator.hpp"

#include <algorithm>
#include <cmath>

#include "errno_names.hpp"
#include "policy_options.hpp"
#include "seeded_random.hpp"

namespace nmz::plugins::explore {
namespace {

struct DelayClass {
  const char* name;
  nanoseconds low;
  nanoseconds high;
};

// The magnitude classes (fault_plan.hpp) cut [delayMin, delayMax]: short
// below 200 ms, medium to 1 s, long from 1 s; a class outside the
// configured range is left out.
std::vector<DelayClass> delay_classes(const ExploreSettings& s) {
  std::vector<DelayClass> classes;
  const DelayClass cuts[] = {{"short", nanoseconds(0), kMediumDelay - nanoseconds(1)},
                             {"medium", kMediumDelay, kLongDelay - nanoseconds(1)},
                             {"long", kLongDelay, nanoseconds::max()}};
  for (const DelayClass& cut : cuts) {
    const nanoseconds low = std::max(s.delay_min, cut.low);
    const nanoseconds high = std::min(s.delay_max, cut.high);
    if (low <= high) classes.push_back({cut.name, low, high});
  }
  return classes;
}

nanoseconds log_uniform(SeededRandom& random, nanoseconds low, nanoseconds high) {
  if (high <= low || low.count() <= 0) return random.duration_in(low, high);
  const double a = std::log(static_cast<double>(low.count()));
  const double b = std::log(static_cast<double>(high.count()));
  auto drawn = nanoseconds(static_cast<std::int64_t>(std::exp(a + random.unit() * (b - a))));
  return std::clamp(drawn, low, high);
}

std::size_t fault_count(const ExploreSettings& s, SeededRandom& random) {
  // Uniform, not mostly single faults: each run then tries two arms on
  // average, so the learner sees more arms per run, and a failing plan's
  // extra faults are what `nmz tools shrink` removes.
  const std::size_t most = static_cast<std::size_t>(std::clamp<std::int64_t>(s.max_faults, 1, 3));
  return 1 + static_cast<std::size_t>(random.below(most));
}

// Windows are measured from the first event of their target. An early one
// opens right there: a target's first exchanges are where its order with
// the others is decided (elections, membership, the first leases and
// handshakes). A late one opens uniformly in (0, startMax) after it, while
// the target is at work: where a re-election, a lease hand-over or a
// quorum write can go wrong. Which phase matters is the target's, and the
// bandit learns it (pool_by_factor).
nanoseconds late_start(SeededRandom& random, nanoseconds start_max) {
  return random.duration_in(nanoseconds(1), start_max);
}

sdk::Result<std::int64_t> positive_int(const sdk::ConfigView& options, std::string_view key, std::int64_t fallback,
                                       std::int64_t most) {
  auto value = options.get_int(key);
  if (!value) return value.status();
  std::int64_t n = value->value_or(fallback);
  if (n < 1 || n > most) return options.invalid(key, "an integer from 1 to " + std::to_string(most));
  return n;
}

}  // namespace

sdk::Result<ExploreSettings> read_explore_settings(const sdk::ConfigView& options) {
  ExploreSettings s;
  auto faults = options.get_string_list("faults");
  if (!faults) return faults.status();
  if (*faults) {
    s.kinds.clear();
    for (const auto& name : **faults) {
      auto kind = fault_kind_from_name(name);
      if (!kind) return options.invalid("faults", "a list of \"slow-node\", \"delay-flow\", \"partition\", \"pause-process\", \"fail-fs\" (got \"" + name + "\")");
      if (std::find(s.kinds.begin(), s.kinds.end(), *kind) == s.kinds.end()) s.kinds.push_back(*kind);
    }
    if (s.kinds.empty()) return options.invalid("faults", "at least one fault kind");
  }
  auto max_faults = positive_int(options, "maxFaults", s.max_faults, 3);
  if (!max_faults) return max_faults.status();
  s.max_faults = *max_faults;
  auto assumed = positive_int(options, "assumedNodes", s.assumed_nodes, 64);
  if (!assumed) return assumed.status();
  s.assumed_nodes = *assumed;
  struct Range {
    const char* low_key;
    nanoseconds* low;
    const char* high_key;
    nanoseconds* high;
  };
  for (const Range& r : {Range{"delayMin", &s.delay_min, "delayMax", &s.delay_max},
                         Range{"windowMin", &s.window_min, "windowMax", &s.window_max}}) {
    auto low = non_negative_duration(options, r.low_key, *r.low);
    if (!low) return low.status();
    auto high = non_negative_duration(options, r.high_key, *r.high);
    if (!high) return high.status();
    if (*high < *low) {
      // Blame the key the user wrote: the other one may be a default.
      auto written = options.get_duration(r.high_key);
      if (written && *written) return options.invalid(r.high_key, std::string("a duration not below ") + r.low_key);
      return options.invalid(r.low_key, std::string("a duration not above ") + r.high_key + " (default " +
                                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(*high).count()) + "ms)");
    }
    *r.low = *low;
    *r.high = *high;
  }
  if (s.delay_max.count() == 0) return options.invalid("delayMax", "a duration above 0");
  if (s.window_max.count() == 0) return options.invalid("windowMax", "a duration above 0");
  auto start_max = options.get_duration("startMax");
  if (!start_max) return start_max.status();
  if (*start_max) {
    auto checked = non_negative_duration(options, "startMax", **start_max);
    if (!checked) return checked.status();
    s.start_max = *checked;
  }
  auto errnos = options.get_string_list("faultErrno");
  if (!errnos) return errnos.status();
  if (*errnos) {
    if ((*errnos)->empty()) return options.invalid("faultErrno", "at least one errno name");
    for (const auto& name : **errnos) {
      if (!errno_from_name(name)) return options.invalid("faultErrno", "errno names such as \"EIO\" (got \"" + name + "\")");
    }
    s.errnos = **errnos;
  }
  return s;
}

std::vector<Fault> candidate_targets(const ExploreSettings& s, const Catalogue& catalogue) {
  const std::uint32_t nodes = catalogue.nodes > 0 ? catalogue.nodes : static_cast<std::uint32_t>(s.assumed_nodes);
  std::vector<Fault> targets;
  for (FaultKind kind : s.kinds) {
    Fault f;
    f.kind = kind;
    switch (kind) {
      case FaultKind::slow_node:
        for (f.role = 0; f.role < nodes; ++f.role) targets.push_back(f);
        break;
      case FaultKind::delay_flow:
        for (f.role = 0; f.role < nodes; ++f.role) {
          for (f.peer = 0; f.peer < nodes; ++f.peer) {
            if (f.peer == f.role) continue;
            if (!catalogue.flows.empty() && !catalogue.flows.contains({f.role, f.peer})) continue;
            targets.push_back(f);
          }
        }
        break;
      case FaultKind::partition:
        if (nodes < 2) break;
        for (f.role = 0; f.role < nodes; ++f.role) targets.push_back(f);
        break;
      case FaultKind::pause_process:
        for (f.role = 0; f.role < catalogue.processes; ++f.role) targets.push_back(f);
        break;
      case FaultKind::fail_fs:
        for (f.role = 0; f.role < catalogue.fs_ops; ++f.role) targets.push_back(f);
        break;
    }
  }
  return targets;
}

std::vector<std::string> delay_magnitudes(const ExploreSettings& s) {
  std::vector<std::string> names;
  for (const auto& c : delay_classes(s)) names.emplace_back(c.name);
  return names;
}

Plan draw_plan(const ExploreSettings& s, const ExploreState& state, std::uint64_t seed) {
  SeededRandom random(seed);
  Plan plan;
  plan.roles = state.catalogue.names;
  const std::vector<Fault> targets = candidate_targets(s, state.catalogue);
  if (targets.empty()) return plan;
  const std::size_t count = std::min(fault_count(s, random), targets.size());
  const PooledStats pooled = pool_by_factor(state.arms);
  auto stats = [](const std::map<std::string, ArmStats>& pool, const std::string& key) {
    auto known = pool.find(key);
    return known == pool.end() ? ArmStats{} : known->second;
  };
  // Each fault: a kind among those with a target left, then one of its
  // targets; each the highest Thompson draw of its pool, the first of
  // equal draws (the settings' kind order, the targets' order).
  std::vector<std::size_t> chosen;
  std::vector<bool> taken(targets.size(), false);
  for (std::size_t k = 0; k < count; ++k) {
    std::vector<FaultKind> kinds;
    std::vector<ArmStats> kind_stats;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (taken[i] || std::find(kinds.begin(), kinds.end(), targets[i].kind) != kinds.end()) continue;
      kinds.push_back(targets[i].kind);
      kind_stats.push_back(stats(pooled.kinds, fault_kind_name(targets[i].kind)));
    }
    const FaultKind kind = kinds[thompson_choice(kind_stats, random)];
    std::vector<std::size_t> of_kind;
    std::vector<ArmStats> target_stats;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (taken[i] || targets[i].kind != kind) continue;
      of_kind.push_back(i);
      target_stats.push_back(stats(pooled.targets, targets[i].target()));
    }
    const std::size_t pick = of_kind[thompson_choice(target_stats, random)];
    taken[pick] = true;
    chosen.push_back(pick);
  }
  const auto classes = delay_classes(s);
  std::vector<ArmStats> class_stats;
  for (const auto& c : classes) class_stats.push_back(stats(pooled.magnitudes, c.name));
  const nanoseconds start_max = s.start_max.value_or(state.catalogue.span.count() > 0 ? state.catalogue.span : kDefaultStartMax);
  // startMax 0 leaves only early windows.
  std::vector<ArmStats> phase_stats{stats(pooled.phases, "early")};
  if (start_max > nanoseconds(1)) phase_stats.push_back(stats(pooled.phases, "late"));
  for (std::size_t pick : chosen) {
    Fault fault = targets[pick];
    if (fault.kind == FaultKind::slow_node || fault.kind == FaultKind::delay_flow) {
      const DelayClass& c = classes[thompson_choice(class_stats, random)];
      fault.delay = log_uniform(random, c.low, c.high);
    }
    fault.anchor = Anchor::target;
    fault.start = thompson_choice(phase_stats, random) == 0 ? nanoseconds(0) : late_start(random, start_max);
    fault.end = fault.start + random.duration_in(s.window_min, s.window_max);
    if (fault.kind == FaultKind::fail_fs) fault.errno_name = s.errnos[random.below(s.errnos.size())];
    plan.faults.push_back(std::move(fault));
  }
  return plan;
}

}  // namespace nmz::plugins::explore
