// SPDX-License-Identifier: Apache-2.0
// `netfault`: network faults aimed at one node per run. Uniform random delay
// rarely changes who leads a cluster (measured: the same ZooKeeper leader in
// 28 of 30 runs); hurting one node does. Each run draws from its seed one
// fault (delay, partition, clog or duplicate), one victim node and one time
// window; see NetfaultPlanner.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/plugin.hpp>

#include "netfault_planner.hpp"
#include "timed_release_queue.hpp"

namespace nmz::plugins::netfault {
namespace {

using Clock = std::chrono::steady_clock;

class NetfaultPolicy final : public sdk::ExplorePolicy {
 public:
  sdk::Status configure(const sdk::ComponentContext& context) noexcept override {
    return nmz::sdk::guarded("", [&]() -> sdk::Status {
      auto params = read_netfault_params(context.options());
      if (!params) return params.status();
      planner_.emplace(std::move(*params), context.seed());
      context.logger().info("netfault plan (seed " + std::string(context.seed_text()) + "): " + planner_->describe());
      return sdk::Status::ok();
    });
  }

  sdk::Status start(sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    queue_.start(sink);
    clog_thread_ = std::thread([this] { release_clog_when_window_closes(); });
    return sdk::Status::ok();
  }

  void queue_event(sdk::Event event) noexcept override {
    try {
      std::unique_lock lock(mutex_);
      auto now = Clock::now();
      if (!first_event_) {
        first_event_ = now;
        wake_.notify_all();
      }
      // The release thread may wake a little after the window closed: an
      // event arriving in between lets the clog out first, so that it
      // cannot overtake it.
      if (!clog_released_ && now - *first_event_ >= planner_->window_end()) release_clog_locked();
      Decision decision = planner_->decide(event, now - *first_event_);
      if (decision.drop) {
        if (auto fault = sdk::default_fault_action(event)) {
          lock.unlock();
          sink_->emit(std::move(*fault));
          return;
        }
      }
      sdk::Action action = sdk::default_action(event);
      if (decision.duplicates > 0 && action.class_name == sdk::action_class::event_acceptance) {
        action.option = "{\"duplicate\":" + std::to_string(decision.duplicates) + "}";
      }
      if (decision.clog && !clog_released_) {
        // Held here, not in the timed queue, so that the whole clog leaves
        // at once and in arrival order.
        clogged_.push_back(std::move(action));
        return;
      }
      lock.unlock();
      queue_.push_independent(std::move(action), decision.delay);
    } catch (...) {
      // Out of memory: the host releases the event when it stops.
    }
  }

  void stop() noexcept override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (clog_thread_.joinable()) clog_thread_.join();
    queue_.stop();
  }

 private:
  void release_clog_when_window_closes() {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || first_event_.has_value(); });
    if (!stopping_) {
      auto end = *first_event_ + planner_->window_end();
      wake_.wait_until(lock, end, [this] { return stopping_; });
    }
    release_clog_locked();
  }

  // Emits under the lock (emit only enqueues): an event arriving now must
  // not overtake the clog it queued behind.
  void release_clog_locked() {
    for (auto& action : clogged_) sink_->emit(std::move(action));
    clogged_.clear();
    clog_released_ = true;
  }

  std::optional<NetfaultPlanner> planner_;
  sdk::ActionSink* sink_ = nullptr;
  TimedReleaseQueue queue_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Clock::time_point> first_event_;
  std::vector<sdk::Action> clogged_;
  bool stopping_ = false;
  bool clog_released_ = false;
  std::thread clog_thread_;
};

void register_components(sdk::Registrar& registrar) {
  registrar.add_explore_policy("netfault", &sdk::make_policy<NetfaultPolicy>,
                               "seeded per-run network faults on one node: delay, partition, clog, duplicate");
  sdk::declare_parameters(registrar, "netfault",
                          {"minInterval", "maxInterval", "faultStartMin", "faultStartMax", "faultDurationMin",
                           "faultDurationMax", "victimMinDelay", "victimMaxDelay", "faultActionProbability",
                           "duplicateProbability", "nodes", "expectedNodes", "faults"});
}

}  // namespace
}  // namespace nmz::plugins::netfault

NMZ_PLUGIN("netfault", "0.3.0", "Targeted network fault policy", nmz::plugins::netfault::register_components)
