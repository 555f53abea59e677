// SPDX-License-Identifier: Apache-2.0
// `explore`: faults aimed by the policy itself, learned across the runs of
// an experiment. Each run draws a plan of one to three faults over roles
// discovered from the events (slow a node, delay a flow, partition a node,
// pause a process, fail a kind of filesystem operation) with Thompson
// sampling over what earlier runs of the same storage showed: plans whose
// runs brought new behaviour or failures are drawn more often. See
// docs/policies.md#explore.
#include <mutex>
#include <optional>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/plugin.hpp>
#include <nmz/sdk/proc_sched.hpp>

#include "atomic_file.hpp"
#include "decision_log.hpp"
#include "errno_names.hpp"
#include "explore_run.hpp"
#include "plan_executor.hpp"
#include "timed_release_queue.hpp"

namespace nmz::plugins::explore {
namespace {

using Clock = std::chrono::steady_clock;

class ExplorePolicy final : public sdk::ExplorePolicy {
 public:
  sdk::Status configure(const sdk::ComponentContext& context) noexcept override {
    try {
      logger_ = &context.logger();
      seed_text_ = context.seed_text();
      auto settings = read_explore_settings(context.options());
      if (!settings) return settings.status();
      auto run = plan_run(*settings, context.seed(), *logger_);
      if (!run) return run.status();
      run_ = std::move(*run);
      executor_.emplace(run_.plan);
      logger_->info(std::string("explore plan") + (run_.forced ? " (forced by " + std::string(kForcedPlanVariable) + ")" : "") +
                    ": " + describe(run_.plan) + " [seed " + seed_text_ + ", state " + run_.state_digest + "]");
      write_record();
      return sdk::Status::ok();
    } catch (const std::exception& e) {
      return sdk::Status::error(sdk::StatusCode::internal, std::string("explore: ") + e.what());
    }
  }

  sdk::Status start(sdk::ActionSink& sink) noexcept override {
    try {
      sink_ = &sink;
      queue_.start(sink);
      return sdk::Status::ok();
    } catch (const std::exception& e) {
      return sdk::Status::error(sdk::StatusCode::internal, std::string("explore: cannot start: ") + e.what());
    }
  }

  void queue_event(sdk::Event event) noexcept override {
    try {
      std::unique_lock lock(mutex_);
      const auto now = Clock::now();
      if (!first_event_) first_event_ = now;
      Verdict verdict = executor_->decide(event, now - *first_event_);
      lock.unlock();
      sdk::Action action = action_for(event, verdict);
      log_decision(*logger_, event, action, verdict.delay);
      if (verdict.delay.count() > 0) {
        queue_.push_independent(std::move(action), verdict.delay, sdk::default_action(event));
      } else {
        sink_->emit(std::move(action));
      }
    } catch (...) {
      // Out of memory: the host releases the event when it stops.
    }
  }

  void stop() noexcept override {
    queue_.stop();
    try {
      write_record();
    } catch (...) {
      logger_->warn("explore: cannot write the run's plan record");
    }
  }

 private:
  static sdk::Action action_for(const sdk::Event& event, const Verdict& verdict) {
    if (verdict.drop) {
      if (auto fault = sdk::default_fault_action(event)) return std::move(*fault);
    }
    if (verdict.fs_errno) {
      if (auto fault = sdk::default_fault_action(event, errno_from_name(*verdict.fs_errno).value_or(0))) return std::move(*fault);
    }
    if (!verdict.pauses.empty()) return sdk::make_proc_set_sched_action(event, sdk::ProcSchedPlan{{}, verdict.pauses});
    return sdk::default_action(event);
  }

  // RUN/plan.json: written at configure (so a run that dies still says its
  // plan) and again at stop with what the plan was bound to.
  void write_record() {
    if (!run_.run_dir) return;
    std::lock_guard lock(mutex_);
    auto record = run_record(run_, seed_text_, executor_->bound(), executor_->observed(), executor_->traffic_digest(),
                             executor_->applied(), executor_->anchors());
    if (auto status = replace_file_atomically(*run_.run_dir / kPlanRecordFile, record.dump(1, '\t') + "\n"); !status) {
      logger_->warn("explore: " + status.message());
    }
  }

  sdk::Logger* logger_ = nullptr;
  std::string seed_text_;
  PlannedRun run_;
  std::optional<PlanExecutor> executor_;
  sdk::ActionSink* sink_ = nullptr;
  TimedReleaseQueue queue_;
  std::mutex mutex_;
  std::optional<Clock::time_point> first_event_;
};

void register_components(sdk::Registrar& registrar) {
  registrar.add_explore_policy("explore", &sdk::make_policy<ExplorePolicy>,
                               "faults aimed at discovered nodes, flows, processes and fs ops, learned across runs");
  sdk::declare_parameters(registrar, "explore",
                          {"faults", "maxFaults", "assumedNodes", "delayMin", "delayMax", "windowMin", "windowMax",
                           "startMax", "faultErrno"});
}

}  // namespace
}  // namespace nmz::plugins::explore

NMZ_PLUGIN("explore", "0.1.0", "Learning fault-plan policy", nmz::plugins::explore::register_components)
