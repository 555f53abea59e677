// SPDX-License-Identifier: Apache-2.0
// `dumb`: every event gets its default action, in arrival order, released
// `interval` after the previous one (Namazu's dumb policy).
#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/plugin.hpp>

#include "timed_release_queue.hpp"

namespace {

class DumbPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  nmz::sdk::Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    auto interval = context.options().get_duration("interval");
    if (!interval) return interval.status();
    interval_ = interval->value_or(std::chrono::nanoseconds(0));
    if (interval_.count() < 0) return context.options().invalid("interval", "a duration of 0 or more");
    return nmz::sdk::Status::ok();
  }

  nmz::sdk::Status start(nmz::sdk::ActionSink& sink) noexcept override {
    queue_.start(sink);
    return nmz::sdk::Status::ok();
  }

  void queue_event(nmz::sdk::Event event) noexcept override {
    try {
      queue_.push_serial(nmz::sdk::default_action(event), interval_);
    } catch (...) {
      // Out of memory: nothing sensible left to do; the host releases the
      // event with its default action when it stops.
    }
  }

  void stop() noexcept override { queue_.stop(); }

 private:
  std::chrono::nanoseconds interval_{0};
  nmz::plugins::TimedReleaseQueue queue_;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("dumb", &nmz::sdk::make_policy<DumbPolicy>,
                               "default action for every event, in order, `interval` apart");
  nmz::sdk::declare_parameters(registrar, "dumb", {"interval"});
}

}  // namespace

NMZ_PLUGIN("dumb", "0.3.0", "Pass-through explore policy", register_components)
