// SPDX-License-Identifier: Apache-2.0
// `pct` and `random-walk` for the orchestrator: deferred events are held and
// released one at a time, `interval` apart, in the order the policy picks
// among the streams that have an event waiting (see StreamScheduler).
// Non-deferred events get their default action at once. The in-process
// versions, which schedule threads at sync points, are the native
// inspector's -policy pct|random-walk.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/plugin.hpp>

#include "stream_scheduler.hpp"

namespace {

using nmz::native::PolicyKind;
using nmz::sdk::Status;

class StreamPolicy : public nmz::sdk::ExplorePolicy {
 public:
  explicit StreamPolicy(PolicyKind kind) : kind_(kind) {}
  ~StreamPolicy() override { stop(); }
  StreamPolicy(const StreamPolicy&) = delete;
  StreamPolicy& operator=(const StreamPolicy&) = delete;

  Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    return nmz::sdk::guarded("", [&]() -> Status {
      const auto& options = context.options();
      std::int64_t depth = 3;
      std::int64_t steps = 100;
      if (kind_ == PolicyKind::pct) {
        auto d = options.get_int("depth");
        if (!d) return d.status();
        depth = d->value_or(depth);
        if (depth < 1 || depth > 64) return options.invalid("depth", "an integer from 1 to 64");
        auto k = options.get_int("steps");
        if (!k) return k.status();
        steps = k->value_or(steps);
        if (steps < 1) return options.invalid("steps", "an integer of 1 or more");
      }
      auto interval = options.get_duration("interval");
      if (!interval) return interval.status();
      interval_ = interval->value_or(std::chrono::milliseconds(10));
      if (interval_.count() < 0) return options.invalid("interval", "a duration of 0 or more");
      scheduler_.emplace(kind_, static_cast<std::uint32_t>(depth), context.seed(), static_cast<std::uint64_t>(steps));
      return Status::ok();
    });
  }

  Status start(nmz::sdk::ActionSink& sink) noexcept override {
    return nmz::sdk::guarded("", [&]() -> Status {
      sink_ = &sink;
      releaser_ = std::thread([this] { release_loop(); });
      return Status::ok();
    });
  }

  void queue_event(nmz::sdk::Event event) noexcept override {
    try {
      if (!event.deferred) {
        sink_->emit(nmz::sdk::default_action(event));
        return;
      }
      std::lock_guard lock(mutex_);
      if (stopping_) {
        sink_->emit(nmz::sdk::default_action(event));
        return;
      }
      scheduler_->add(std::move(event));
      wake_.notify_one();
    } catch (...) {
      // Out of memory: the host releases the event with its default action when it stops.
    }
  }

  void stop() noexcept override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ && !releaser_.joinable()) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (releaser_.joinable()) releaser_.join();
    if (sink_ == nullptr || !scheduler_) return;
    std::vector<nmz::sdk::Event> held;
    {
      std::lock_guard lock(mutex_);
      held = scheduler_->drain();
    }
    for (const auto& event : held) sink_->emit(nmz::sdk::default_action(event));
  }

 private:
  void release_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !scheduler_->empty(); });
      if (stopping_) return;
      // Let the other streams' events arrive: PCT chooses among what is held.
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
      nmz::sdk::Event event = scheduler_->next();
      lock.unlock();
      sink_->emit(nmz::sdk::default_action(event));
      lock.lock();
    }
  }

  const PolicyKind kind_;
  std::chrono::nanoseconds interval_{0};
  std::optional<nmz::plugins::StreamScheduler> scheduler_;
  nmz::sdk::ActionSink* sink_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread releaser_;
};

class PctPolicy final : public StreamPolicy {
 public:
  PctPolicy() : StreamPolicy(PolicyKind::pct) {}
};

class RandomWalkPolicy final : public StreamPolicy {
 public:
  RandomWalkPolicy() : StreamPolicy(PolicyKind::random_walk) {}
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("pct", &nmz::sdk::make_policy<PctPolicy>,
                               "PCT over event streams: random stream priorities, depth-1 change points");
  registrar.add_explore_policy("random-walk", &nmz::sdk::make_policy<RandomWalkPolicy>,
                               "releases one held event at a time from a random stream");
  nmz::sdk::declare_parameters(registrar, "pct", {"depth", "steps", "interval"});
  nmz::sdk::declare_parameters(registrar, "random-walk", {"interval"});
}

}  // namespace

NMZ_PLUGIN("pct", "0.3.0", "PCT and random-walk explore policies", register_components)
