// SPDX-License-Identifier: Apache-2.0
// `nmz tools shrink STORAGE RUN`: the smallest part of a failing run's
// explore plan that still makes the experiment fail (docs/experiments.md).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include <nmz/sdk/flags.hpp>
#include <nmz/sdk/spawn.hpp>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"
#include "experiment/experiment_run.hpp"
#include "experiment/plan_shrinker.hpp"
#include "experiment/run_result.hpp"
#include "experiment/storage.hpp"
#include "util/atomic_file.hpp"

namespace nmz::core::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// NMZ_EXPLORE_PLAN: the plan file the explore policy runs instead of
// drawing one (plugins/explore/explore_run.hpp).
constexpr const char* kForcedPlanVariable = "NMZ_EXPLORE_PLAN";

std::set<std::string> run_ids(const experiment::Storage& storage) {
  std::set<std::string> ids;
  for (const auto& run : storage.runs()) ids.insert(run.id());
  return ids;
}

class ShrinkSession {
 public:
  ShrinkSession(experiment::Storage work, std::int64_t repeats, double fraction)
      : work_(std::move(work)), repeats_(repeats), fraction_(fraction) {}

  // Runs `plan` `repeats` times in the work storage; true when at least
  // `fraction` of the decided runs failed.
  bool fails(const json& plan) {
    const std::size_t number = ++candidates_;
    const fs::path file = work_.root() / ("candidate-" + std::to_string(number) + ".json");
    if (auto status = write_file_atomically(file, plan.dump(1, '\t') + "\n"); !status) {
      std::cerr << "nmz tools shrink: " << status.message() << "\n";
      return false;
    }
    const auto before = run_ids(work_);
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    sdk::SpawnOptions options;
    options.extra_env.push_back(std::string(kForcedPlanVariable) + "=" + file.string());
    auto pid = sdk::spawn_process({self, "run", "-n", std::to_string(repeats_), work_.root().string()}, options);
    if (!pid) {
      std::cerr << "nmz tools shrink: " << pid.status().message() << "\n";
      return false;
    }
    sdk::wait_for_exit(*pid);
    int failed = 0;
    int decided = 0;
    for (const auto& run : work_.runs()) {
      if (before.contains(run.id())) continue;
      auto result = experiment::read_run_result(run.dir / "result.json");
      if (!result || result->status == experiment::RunStatus::broken) continue;
      ++decided;
      failed += result->status == experiment::RunStatus::failed ? 1 : 0;
    }
    const bool enough = decided > 0 && static_cast<double>(failed) >= fraction_ * static_cast<double>(decided);
    std::cout << "candidate " << number << " (" << file.filename().string() << "): "
              << plan["faults"].size() << " fault(s), failed " << failed << "/" << decided
              << (decided < repeats_ ? " (" + std::to_string(repeats_ - decided) + " broken)" : "")
              << (enough ? "  -> still fails\n" : "\n")
              << experiment::plan_outline(plan) << std::flush;
    return enough;
  }

 private:
  experiment::Storage work_;
  std::int64_t repeats_;
  double fraction_;
  std::size_t candidates_ = 0;
};

sdk::Result<json> failing_plan(const experiment::Storage& storage, const std::string& run) {
  const fs::path dir = storage.root() / run;
  auto result = experiment::read_run_result(dir / "result.json");
  if (!result) return result.status();
  if (result->status != experiment::RunStatus::failed) {
    return sdk::Status::invalid("run " + run + " did not fail (" + experiment::to_string(result->status) + ")");
  }
  if (result->plan.empty()) {
    return sdk::Status::invalid((dir / "result.json").string() +
                                ": no \"plan\" (only runs of the explore policy have a plan to shrink)");
  }
  json plan = json::parse(result->plan, nullptr, false);
  if (!plan.is_object() || !plan.contains("faults") || !plan["faults"].is_array()) {
    return sdk::Status::invalid((dir / "result.json").string() + ": \"plan\" has no \"faults\" array");
  }
  json failing{{"faults", plan["faults"]}};
  // Candidates bind roles to the targets the failing run bound them to.
  if (plan.contains("roles")) failing["roles"] = plan["roles"];
  return failing;
}

}  // namespace

int command_shrink(const std::vector<std::string>& args) {
  std::int64_t repeats = 3;
  double fraction = 0.5;
  std::int64_t max_candidates = 30;
  sdk::FlagSet flags("nmz tools shrink");
  flags.add_int("k", &repeats, "runs per candidate plan (the target is nondeterministic)");
  flags.add_double("fraction", &fraction, "a candidate still fails when at least this share of its runs fail");
  flags.add_int("max-candidates", &max_candidates, "most candidate plans to try");
  if (!parse_verb_flags(flags, args, 2, "nmz tools shrink [-k 3] [-fraction 0.5] [-max-candidates 30] STORAGE RUN")) {
    return experiment::kExitUsage;
  }
  if (repeats < 1 || repeats > 100) {
    std::cerr << "nmz tools shrink: flag -k: expected 1 to 100 runs per candidate, got " << repeats << "\n";
    return experiment::kExitUsage;
  }
  if (!(fraction > 0 && fraction <= 1)) {
    std::cerr << "nmz tools shrink: flag -fraction: expected a share above 0 and at most 1, got " << fraction << "\n";
    return experiment::kExitUsage;
  }
  if (max_candidates < 1) {
    std::cerr << "nmz tools shrink: flag -max-candidates: expected at least 1, got " << max_candidates << "\n";
    return experiment::kExitUsage;
  }
  auto storage = experiment::Storage::open(flags.positionals()[0]);
  if (!storage) {
    std::cerr << "nmz tools shrink: " << storage.status().message() << "\n";
    return experiment::kExitUsage;
  }
  const std::string& run = flags.positionals()[1];
  auto plan = failing_plan(*storage, run);
  if (!plan) {
    std::cerr << "nmz tools shrink: " << plan.status().message() << "\n";
    return experiment::kExitUsage;
  }
  // The candidates' runs go to a storage of their own inside this one (its
  // name is not a run's, so summaries and the policy's learning skip it).
  const fs::path work_dir = storage->root() / ("shrink-" + run);
  experiment::InitOptions init;
  init.force = true;
  if (auto status = experiment::init_storage(storage->config_path(), storage->materials_dir(), work_dir, init); !status) {
    std::cerr << "nmz tools shrink: " << status.message() << "\n";
    return experiment::kExitBroken;
  }
  auto work = experiment::Storage::open(work_dir);
  if (!work) {
    std::cerr << "nmz tools shrink: " << work.status().message() << "\n";
    return experiment::kExitBroken;
  }
  std::cout << "shrinking run " << run << ": " << (*plan)["faults"].size() << " fault(s), " << repeats
            << " runs per candidate, a candidate fails when >= " << fraction * 100 << "% of its runs fail\n"
            << experiment::plan_outline(*plan);
  ShrinkSession session(std::move(*work), repeats, fraction);
  auto outcome = experiment::shrink_plan(*plan, [&](const json& candidate) { return session.fails(candidate); },
                                         {static_cast<std::size_t>(max_candidates)});
  if (!outcome.reproduced) {
    std::cout << "the original plan failed in fewer than " << fraction * 100 << "% of " << repeats
              << " runs: nothing to shrink (try a larger -k or a smaller -fraction)\n";
    return experiment::kExitValidationFailed;
  }
  const fs::path minimal = work_dir / "minimal-plan.json";
  if (auto status = write_file_atomically(minimal, outcome.plan.dump(1, '\t') + "\n"); !status) {
    std::cerr << "nmz tools shrink: " << status.message() << "\n";
    return experiment::kExitBroken;
  }
  char sizes[160];
  std::snprintf(sizes, sizeof sizes, "%zu fault(s), %.1f s of faults -> %zu fault(s), %.1f s of faults",
                (*plan)["faults"].size(), experiment::plan_fault_seconds(*plan), outcome.plan["faults"].size(),
                experiment::plan_fault_seconds(outcome.plan));
  std::cout << "smallest plan that still fails (" << sizes << ", " << outcome.candidates << " candidates tried):\n"
            << experiment::plan_outline(outcome.plan) << "replay it:\n  " << kForcedPlanVariable << "="
            << minimal.string() << " nmz run -n " << repeats << " " << storage->root().string() << "\n";
  return experiment::kExitPassed;
}

}  // namespace nmz::core::cli
