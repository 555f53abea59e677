// SPDX-License-Identifier: Apache-2.0
// `random`: Namazu's default policy. Each event is held for a random delay
// (reordering events when minInterval < maxInterval), may get its fault
// action, and ProcSetEvents get randomised scheduler attributes. Every
// draw comes from one generator seeded with the run's seed, at queue_event
// time and in queue_event order, so a seed replays the same decisions for
// the same event sequence.
#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/plugin.hpp>
#include <nmz/sdk/proc_sched.hpp>

#include "decision_log.hpp"
#include "proc_sched_planner.hpp"
#include "random_settings.hpp"
#include "seeded_random.hpp"
#include "shell_action_loop.hpp"
#include "timed_release_queue.hpp"

namespace {

using nmz::plugins::SeededRandom;
using nmz::sdk::Action;
using nmz::sdk::Event;
using nmz::sdk::Status;

// Namazu's weight for prioritizedEntities: their delays are 80% as long.
// (Not `delay * 4 / 5`, which overflows for delays of centuries.)
constexpr std::chrono::nanoseconds prioritized(std::chrono::nanoseconds delay) { return delay - delay / 5; }

class RandomPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    return nmz::sdk::guarded("random: ", [&]() -> Status {
      auto settings = nmz::plugins::read_random_settings(context.options(), context.logger());
      if (!settings) return settings.status();
      settings_ = std::move(*settings);
      logger_ = &context.logger();
      random_.emplace(context.seed());
      cpus_ = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
      return Status::ok();
    });
  }

  Status start(nmz::sdk::ActionSink& sink) noexcept override {
    return nmz::sdk::guarded("random: cannot start: ", [&]() -> Status {
      queue_.start(sink);
      if (settings_.shell_action_interval.count() > 0) {
        shell_actions_.start(sink, settings_.shell_action_interval, settings_.shell_action_command);
      }
      return Status::ok();
    });
  }

  void queue_event(Event event) noexcept override {
    try {
      // One lock for the draws and the push: decisions follow queue_event
      // order, and with a fixed interval so does the release order.
      std::lock_guard lock(mutex_);
      auto [low, high] = intervals_for(event);
      auto delay = low == high ? low : random_->duration_in(low, high);
      Action action = decide(event);
      nmz::plugins::log_decision(*logger_, event, action, delay);
      // A fault or a schedule still held when the run stops gives way to
      // the default action (NopAction and EventAcceptanceAction are the
      // defaults themselves).
      std::optional<Action> on_stop;
      if (action.class_name != nmz::sdk::action_class::nop &&
          action.class_name != nmz::sdk::action_class::event_acceptance) {
        on_stop = nmz::sdk::default_action(event);
      }
      if (low == high) {
        queue_.push_serial(std::move(action), delay, std::move(on_stop));
      } else {
        queue_.push_independent(std::move(action), delay, std::move(on_stop));
      }
    } catch (...) {
      // Out of memory: the host releases the event with its default action
      // when it stops.
    }
  }

  void stop() noexcept override {
    shell_actions_.stop();
    queue_.stop();
  }

 private:
  std::pair<std::chrono::nanoseconds, std::chrono::nanoseconds> intervals_for(const Event& event) const {
    if (settings_.prioritized_entities.contains(event.entity)) {
      return {prioritized(settings_.min_interval), prioritized(settings_.max_interval)};
    }
    return {settings_.min_interval, settings_.max_interval};
  }

  Action decide(const Event& event) {
    if (event.class_name == nmz::sdk::event_class::proc_set) return decide_proc_set(event);
    if (!nmz::sdk::default_fault_action(event)) return nmz::sdk::default_action(event);
    if (!random_->chance(settings_.fault_probability)) return nmz::sdk::default_action(event);
    int fs_errno = 0;
    const auto& errnos = settings_.fault_errnos;
    if (event.class_name == nmz::sdk::event_class::filesystem && !errnos.empty()) {
      fs_errno = errnos.size() == 1 ? errnos.front() : errnos[random_->below(errnos.size())];
    }
    return *nmz::sdk::default_fault_action(event, fs_errno);
  }

  Action decide_proc_set(const Event& event) {
    auto tids = nmz::sdk::proc_set_tids(event);
    if (!tids) {
      logger_->warn("event " + event.uuid + " from " + event.entity + ": " + tids.status().message());
      return nmz::sdk::default_action(event);
    }
    // Nothing to schedule (Namazu's dirichlet failed, extreme panicked).
    if (tids->empty()) return nmz::sdk::default_action(event);
    auto pids = nmz::sdk::proc_set_pids(event);
    if (!pids) logger_->warn("event " + event.uuid + " from " + event.entity + ": " + pids.status().message());
    auto plan = nmz::plugins::plan_proc_sched(settings_.proc, *tids, pids ? *pids : std::vector<int>{}, cpus_,
                                              *random_);
    return nmz::sdk::make_proc_set_sched_action(event, plan);
  }

  nmz::plugins::RandomSettings settings_;
  nmz::sdk::Logger* logger_ = nullptr;
  int cpus_ = 1;
  std::mutex mutex_;
  std::optional<SeededRandom> random_;  // set by configure
  nmz::plugins::TimedReleaseQueue queue_;
  nmz::plugins::ShellActionLoop shell_actions_;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("random", &nmz::sdk::make_policy<RandomPolicy>,
                               "seeded random delays, reordering, faults and thread scheduling (Namazu's default)");
  nmz::sdk::declare_parameters(
      registrar, "random",
      {"minInterval", "maxInterval", "prioritizedEntities", "faultActionProbability", "faultErrno",
       "shellActionInterval", "shellActionCommand", "procPolicy", "procPolicyParam.useBatch",
       "procPolicyParam.prioritized", "procPolicyParam.resetProbability", "procPolicyParam.affinity",
       "procPolicyParam.pauseProbability", "procPolicyParam.maxPause"});
}

}  // namespace

NMZ_PLUGIN("random", "0.3.0", "Seeded random explore policy", register_components)
