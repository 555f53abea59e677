// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

// Shrinking a failing run's fault plan (`nmz tools shrink`): the explore
// policy's machine form, {"faults": [{"kind", "role", "peer"?, "delay_ns"?,
// "start_ns", "end_ns", ...}, ...]}, read as plain JSON so that the core
// does not depend on the plugin.
namespace nmz::core::experiment {

// Whether a candidate plan still fails often enough (the caller runs it K
// times). Called once per distinct candidate.
using PlanOracle = std::function<bool(const nlohmann::json& plan)>;

struct ShrinkLimits {
  std::size_t max_candidates = 30;  // plans tried, the original's check included
};

struct ShrinkOutcome {
  nlohmann::json plan;            // the smallest plan found that still fails
  bool reproduced = false;        // the original plan failed often enough
  std::size_t candidates = 0;     // plans tried
};

// First checks the original plan, then removes faults by delta debugging
// (ddmin: halves, then complements, then finer pieces), then halves each
// remaining fault's window (down to 100 ms) and delay (down to 10 ms) while
// the plan still fails. Stops early after `max_candidates` tries.
ShrinkOutcome shrink_plan(const nlohmann::json& plan, const PlanOracle& fails, ShrinkLimits limits = {});

// "slow-node node#1 420 ms [0.8 s, 3.1 s)": one line per fault, for people.
std::string plan_outline(const nlohmann::json& plan);
// Seconds of fault windows summed over the plan's faults.
double plan_fault_seconds(const nlohmann::json& plan);

}  // namespace nmz::core::experiment
