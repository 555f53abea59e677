// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/status.hpp>

#include "fault_plan.hpp"
#include "plan_generator.hpp"

// How a run of the explore policy gets its plan, and the record it leaves:
// RUN/plan.json, which `nmz run` copies into result.json as "plan".
namespace nmz::plugins::explore {

// NMZ_EXPLORE_PLAN: a file whose plan replaces the drawn one (what
// `nmz tools shrink` and replays use). The file may be a plan ({"faults":
// [...]}), a run's plan.json, or a run's result.json (its "plan").
inline constexpr const char* kForcedPlanVariable = "NMZ_EXPLORE_PLAN";

sdk::Result<Plan> read_plan_file(const std::filesystem::path& file);

struct PlannedRun {
  Plan plan;
  bool forced = false;
  std::vector<std::string> arms;  // what the learner credits; empty when forced
  std::string state_digest;       // of the state the plan was drawn from
  std::optional<std::filesystem::path> run_dir;  // NMZ_WORKING_DIR, when run by `nmz run`
};

// Chooses the run's plan: the forced one, or one drawn from the seed and
// the state learned from the storage's earlier runs (refreshed and saved
// first; the state used is kept beside the plan as
// RUN/explore-state-at-start.json, so that the pair can be checked).
sdk::Result<PlannedRun> plan_run(const ExploreSettings& settings, std::uint64_t seed, sdk::Logger& logger);

// The record of a run: the plan (machine form and words), how it was chosen,
// what it was bound to and what the run showed.
nlohmann::json run_record(const PlannedRun& run, std::string_view seed_text, const std::map<std::string, std::string>& bound,
                          const Catalogue& observed, const std::string& traffic_digest,
                          const std::vector<std::uint64_t>& applied,
                          const std::vector<std::optional<nanoseconds>>& anchors);

}  // namespace nmz::plugins::explore
