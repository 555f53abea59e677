// SPDX-License-Identifier: Apache-2.0
#include "explore_run.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "atomic_file.hpp"

namespace nmz::plugins::explore {

using nlohmann::json;
namespace fs = std::filesystem;

sdk::Result<Plan> read_plan_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return sdk::Status::invalid(file.string() + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  json object = json::parse(text.str(), nullptr, false);
  if (object.is_discarded()) return sdk::Status::invalid(file.string() + ": not valid JSON");
  if (object.is_object() && !object.contains("faults") && object.contains("plan")) object = object["plan"];
  auto plan = plan_from_json(object);
  if (!plan) return sdk::Status::invalid(file.string() + ": " + plan.status().message());
  return plan;
}

sdk::Result<PlannedRun> plan_run(const ExploreSettings& settings, std::uint64_t seed, sdk::Logger& logger) {
  PlannedRun run;
  if (const char* dir = std::getenv("NMZ_WORKING_DIR"); dir != nullptr && *dir != '\0') run.run_dir = fs::path(dir);
  if (const char* forced = std::getenv(kForcedPlanVariable); forced != nullptr && *forced != '\0') {
    auto plan = read_plan_file(forced);
    if (!plan) return sdk::Status::invalid(std::string(kForcedPlanVariable) + ": " + plan.status().message());
    run.plan = std::move(*plan);
    run.forced = true;
    return run;
  }
  ExploreState state;
  if (run.run_dir) {
    state = refresh_state(run.run_dir->parent_path(), logger);
    if (auto status = replace_file_atomically(*run.run_dir / "explore-state-at-start.json", to_json(state).dump(1, '\t') + "\n");
        !status) {
      logger.warn("explore: " + status.message());
    }
  } else {
    logger.warn("explore: NMZ_WORKING_DIR is not set (not run by `nmz run`): nothing is learned across runs");
  }
  run.state_digest = state_digest(state);
  run.plan = draw_plan(settings, state, seed);
  for (const Fault& fault : run.plan.faults) run.arms.push_back(fault.arm());
  return run;
}

json run_record(const PlannedRun& run, std::string_view seed_text, const std::map<std::string, std::string>& bound,
                const Catalogue& observed, const std::string& traffic_digest, const std::vector<std::uint64_t>& applied,
                const std::vector<std::optional<nanoseconds>>& anchors) {
  json record = to_json(run.plan);
  record["policy"] = "explore";
  record["forced"] = run.forced;
  record["seed"] = std::string(seed_text);
  record["state_digest"] = run.state_digest;
  record["arms"] = run.arms;
  record["words"] = describe(run.plan, bound);
  record["bound"] = bound;
  record["applied"] = applied;
  json anchored = json::array();
  for (const auto& at : anchors) anchored.push_back(at ? json(at->count()) : json());
  record["anchored_ns"] = std::move(anchored);
  record["observed"] = {{"nodes", observed.nodes},
                        {"processes", observed.processes},
                        {"fs_ops", observed.fs_ops},
                        {"names", observed.names},
                        {"span_ns", observed.span.count()},
                        {"flows", observed.flows},
                        {"digest", traffic_digest}};
  // How this run bound its roles, so that replaying its record
  // (NMZ_EXPLORE_PLAN=RUN/result.json, nmz tools shrink) aims at the same targets.
  if (!observed.names.empty()) record["roles"] = observed.names;
  return record;
}

}  // namespace nmz::plugins::explore
