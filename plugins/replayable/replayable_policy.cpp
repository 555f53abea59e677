// SPDX-License-Identifier: Apache-2.0
// `replayable`: Namazu's semi-deterministic policy. Each event is held for
// FNV-1a-64(seed ‖ replay_hint) mod maxInterval, then gets its default
// action: an event with the same hint gets the same delay in every run with
// the same seed, whatever else happens.
#include <nmz/sdk/duration.hpp>
#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/hash.hpp>
#include <nmz/sdk/plugin.hpp>

#include "decision_log.hpp"
#include "policy_options.hpp"
#include "timed_release_queue.hpp"

namespace {

using nmz::sdk::Status;

class ReplayablePolicy final : public nmz::sdk::ExplorePolicy {
 public:
  Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    return nmz::sdk::guarded("replayable: ", [&]() -> Status {
      auto max_interval =
          nmz::plugins::non_negative_duration(context.options(), "maxInterval", std::chrono::milliseconds(10));
      if (!max_interval) return max_interval.status();
      max_interval_ = *max_interval;
      logger_ = &context.logger();
      if (max_interval_.count() == 0) context.logger().warn("maxInterval is 0: events are not delayed");
      // The seed (`seed`, NMZ_REPLAY_SEED or NMZ_SEED) is resolved by the
      // host; its hash is the common prefix of every event's hash.
      seed_hash_ = nmz::sdk::fnv1a64(context.seed_text());
      context.logger().info("seed \"" + std::string(context.seed_text()) + "\", maxInterval " +
                            nmz::sdk::format_duration(max_interval_));
      return Status::ok();
    });
  }

  Status start(nmz::sdk::ActionSink& sink) noexcept override {
    return nmz::sdk::guarded("replayable: cannot start: ", [&]() -> Status {
      queue_.start(sink);
      return Status::ok();
    });
  }

  void queue_event(nmz::sdk::Event event) noexcept override {
    try {
      auto delay = delay_for(event.replay_hint);
      auto action = nmz::sdk::default_action(event);
      nmz::plugins::log_decision(*logger_, event, action, delay);
      queue_.push_independent(std::move(action), delay);
    } catch (...) {
      // Out of memory: the host releases the event with its default action
      // when it stops.
    }
  }

  void stop() noexcept override { queue_.stop(); }

 private:
  std::chrono::nanoseconds delay_for(std::string_view replay_hint) const {
    if (max_interval_.count() == 0) return max_interval_;
    auto hash = nmz::sdk::fnv1a64(replay_hint, seed_hash_);
    return std::chrono::nanoseconds(static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(max_interval_.count())));
  }

  nmz::sdk::Logger* logger_ = nullptr;
  std::chrono::nanoseconds max_interval_{0};
  std::uint64_t seed_hash_ = 0;
  nmz::plugins::TimedReleaseQueue queue_;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("replayable", &nmz::sdk::make_policy<ReplayablePolicy>,
                               "delay = FNV-1a-64(seed, replay_hint) mod maxInterval, then the default action");
  nmz::sdk::declare_parameters(registrar, "replayable", {"maxInterval"});
}

}  // namespace

NMZ_PLUGIN("replayable", "0.3.0", "Semi-deterministic replay policy (Namazu's)", register_components)
