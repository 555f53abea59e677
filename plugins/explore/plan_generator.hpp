// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/status.hpp>

#include "explore_state.hpp"
#include "fault_plan.hpp"

namespace nmz::plugins::explore {

// `[explorePolicyParam]` of the explore policy: the ranges plans are drawn
// from (docs/policies.md#explore). Every key is optional.
inline constexpr nanoseconds kDefaultStartMax = std::chrono::seconds(3);

struct ExploreSettings {
  std::vector<FaultKind> kinds{FaultKind::slow_node, FaultKind::delay_flow, FaultKind::partition,
                               FaultKind::pause_process, FaultKind::fail_fs};
  std::int64_t max_faults = 3;
  std::int64_t assumed_nodes = 3;  // node roles offered before any run has shown its nodes
  nanoseconds delay_min{std::chrono::milliseconds(20)};
  nanoseconds delay_max{std::chrono::seconds(2)};
  // Unset: the shortest run's span (Catalogue::span), or kDefaultStartMax
  // before a run has shown one.
  std::optional<nanoseconds> start_max;
  nanoseconds window_min{std::chrono::milliseconds(500)};
  nanoseconds window_max{std::chrono::seconds(5)};
  std::vector<std::string> errnos{"EIO", "ENOSPC"};
};

sdk::Result<ExploreSettings> read_explore_settings(const sdk::ConfigView& options);

// The targets a plan may aim at: faults with kind and roles set and their
// parameters not drawn yet (Fault::target()).
std::vector<Fault> candidate_targets(const ExploreSettings& settings, const Catalogue& catalogue);

// The delay magnitude classes the delay range offers ("short", "medium",
// "long"; fault_plan.hpp), in that order.
std::vector<std::string> delay_magnitudes(const ExploreSettings& settings);

// Draws a run's plan from its seed and the learned state, nothing else, so
// that the two reproduce it: the number of faults (uniform from 1 to
// maxFaults), the targets with the highest Thompson draws from their
// pooled statistics, then for each fault in plan order its delay
// magnitude and its window's phase, each the highest Thompson draw of its
// pool (pool_by_factor), and the parameters inside them (a delay
// log-uniform in its class; an early window opens at its target's first
// event, a late one uniformly in (0, startMax) after it).
Plan draw_plan(const ExploreSettings& settings, const ExploreState& state, std::uint64_t seed);

}  // namespace nmz::plugins::explore
