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

// One arm a plan may pull: a fault with kind, roles and delay class set and
// its parameters not drawn yet.
std::vector<Fault> candidate_arms(const ExploreSettings& settings, const Catalogue& catalogue);

// Draws a run's plan from its seed and the learned state, nothing else, so
// that the two reproduce it: the number of faults (uniform from 1 to
// maxFaults), the arms with the highest
// Thompson draws, then each fault's parameters in plan order (a window,
// anchored at its target's first event, opens there or uniformly in
// [0, startMax) after it, even odds).
Plan draw_plan(const ExploreSettings& settings, const ExploreState& state, std::uint64_t seed);

}  // namespace nmz::plugins::explore
