// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <doctest/doctest.h>

#include "orchestrator/orchestrator.hpp"

using namespace std::chrono_literals;
using namespace nmz;
using core::Orchestrator;

namespace {

// What every test policy does with the orchestrator's sink: keeps it.
class SinkKeepingPolicy : public sdk::ExplorePolicy {
 public:
  sdk::Status configure(const sdk::ComponentContext&) noexcept override { return {}; }
  sdk::Status start(sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    return {};
  }

 protected:
  sdk::ActionSink* sink_ = nullptr;
};

// A policy under the test's control: it holds every event until the test
// answers it (or not at all).
class ManualPolicy final : public SinkKeepingPolicy {
 public:
  void queue_event(sdk::Event event) noexcept override {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
  }
  void stop() noexcept override { stopped = true; }

  void answer_all() {
    std::vector<sdk::Event> taken;
    {
      std::lock_guard lock(mutex);
      taken.swap(events);
    }
    for (auto& e : taken) sink_->emit(sdk::default_action(e));
  }
  sdk::ActionSink* sink() { return sink_; }

  std::mutex mutex;
  std::vector<sdk::Event> events;
  bool stopped = false;
};

class RecordingDestination final : public core::ActionDestination {
 public:
  void deliver(sdk::Action action) noexcept override {
    std::lock_guard lock(mutex_);
    actions_.push_back(std::move(action));
    changed_.notify_all();
  }
  std::vector<sdk::Action> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return actions_.size() >= count; });
    return actions_;
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return actions_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<sdk::Action> actions_;
};

// Blocks in deliver until released: a stuck inspector.
class StuckDestination final : public core::ActionDestination {
 public:
  void deliver(sdk::Action) noexcept override { released.wait(); }
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
};

// Answers each event inside queue_event, as the dumb policy does, but only
// once the test lets it.
class AnswersWhenToldPolicy final : public SinkKeepingPolicy {
 public:
  void queue_event(sdk::Event event) noexcept override {
    entered.set_value();
    answer.get_future().wait();
    sink_->emit(sdk::default_action(event));
  }
  void stop() noexcept override {}

  std::promise<void> entered;
  std::promise<void> answer;
};

// Holds every event; throws where the test says, as a buggy plugin would.
class ThrowingPolicy final : public sdk::ExplorePolicy {
 public:
  sdk::Status configure(const sdk::ComponentContext&) override { return {}; }
  sdk::Status start(sdk::ActionSink& sink) override {
    if (throw_in_start) throw std::runtime_error("no start");
    sink_ = &sink;
    return {};
  }
  void queue_event(sdk::Event event) override {
    std::lock_guard lock(mutex);
    if (++seen == throw_at_event) throw std::runtime_error("bad decision");
    events.push_back(std::move(event));
  }
  void stop() override {
    if (throw_in_stop) throw std::logic_error("no stop");
  }
  sdk::ActionSink* sink() { return sink_; }

  sdk::ActionSink* sink_ = nullptr;
  bool throw_in_start = false;
  bool throw_in_stop = false;
  int throw_at_event = 0;
  int seen = 0;
  std::mutex mutex;
  std::vector<sdk::Event> events;
};

int* volatile nowhere = nullptr;

// Holds every event; the decision for the third dereferences null with its
// lock held, as a buggy plugin would: stop() would then wait forever.
class CrashingPolicy final : public SinkKeepingPolicy {
 public:
  ~CrashingPolicy() override { destroyed = true; }
  __attribute__((no_sanitize("null"))) void queue_event(sdk::Event event) override {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
    if (events.size() == 3) *nowhere = 1;
  }
  void stop() override { std::lock_guard lock(mutex); }

  std::mutex mutex;
  std::vector<sdk::Event> events;
  static inline std::atomic<bool> destroyed{false};
};

struct Fixture {
  explicit Fixture(Orchestrator::Options options = {}) {
    auto owned = std::make_unique<ManualPolicy>();
    policy = owned.get();
    orchestrator = std::make_unique<Orchestrator>(core::PluginObject<sdk::ExplorePolicy>{nullptr, std::move(owned), "manual"},
                                                  options);
    REQUIRE(orchestrator->start());
  }
  ManualPolicy* policy;
  std::unique_ptr<Orchestrator> orchestrator;
};

}  // namespace

TEST_CASE("actions go back to the entity that sent the event, and are traced with it") {
  RecordingDestination a;
  RecordingDestination b;
  Fixture f({/*collect_trace=*/true, /*start_enabled=*/true, {}});
  auto ea = sdk::make_packet_event("a", "x", "y", "p", "");
  auto eb = sdk::make_packet_event("b", "x", "y", "q", "");
  auto nop = sdk::make_nop_event("a");
  REQUIRE(f.orchestrator->submit(ea, &a));
  REQUIRE(f.orchestrator->submit(eb, &b));
  REQUIRE(f.orchestrator->submit(nop, &a));
  f.policy->answer_all();
  auto got_a = a.wait_for(1);
  auto got_b = b.wait_for(1);
  REQUIRE(got_a.size() == 1);  // the NopAction stays in the orchestrator
  CHECK(got_a[0].event_uuid == ea.uuid);
  CHECK(got_a[0].class_name == sdk::action_class::event_acceptance);
  REQUIRE(got_b.size() == 1);
  CHECK(got_b[0].event_uuid == eb.uuid);
  f.orchestrator->stop();
  auto trace = f.orchestrator->take_trace();
  REQUIRE(trace.size() == 3);
  CHECK(trace[0].event->uuid == ea.uuid);
  CHECK(trace[2].action.class_name == sdk::action_class::nop);
  CHECK(trace[2].event->uuid == nop.uuid);
  CHECK(trace[0].action_triggered >= trace[0].event_arrived);
  CHECK(f.orchestrator->pending_events() == 0);
}

TEST_CASE("a stuck entity does not hold up the others") {
  StuckDestination stuck;
  RecordingDestination free;
  Fixture f;
  REQUIRE(f.orchestrator->submit(sdk::make_packet_event("stuck", "x", "y", "", ""), &stuck));
  REQUIRE(f.orchestrator->submit(sdk::make_packet_event("stuck", "x", "y", "", ""), &stuck));
  for (int i = 0; i < 100; ++i) REQUIRE(f.orchestrator->submit(sdk::make_packet_event("free", "x", "y", "", ""), &free));
  f.policy->answer_all();
  CHECK(free.wait_for(100).size() == 100);
  stuck.release.set_value();
}

TEST_CASE("while disabled, events pass through with their default action") {
  RecordingDestination d;
  Fixture f({false, /*start_enabled=*/false, {}});
  auto e = sdk::make_packet_event("d", "x", "y", "", "");
  REQUIRE(f.orchestrator->submit(e, &d));
  CHECK(d.wait_for(1).at(0).event_uuid == e.uuid);
  CHECK(f.policy->events.empty());
  f.orchestrator->set_enabled(true);
  REQUIRE(f.orchestrator->submit(sdk::make_packet_event("d", "x", "y", "", ""), &d));
  CHECK(f.policy->events.size() == 1);
}

TEST_CASE("stop answers whatever the policy still holds (fail open)") {
  RecordingDestination d;
  Fixture f;
  for (int i = 0; i < 5; ++i) REQUIRE(f.orchestrator->submit(sdk::make_filesystem_event("d", "pre-fsync", "f", ""), &d));
  CHECK(f.orchestrator->pending_events() == 5);
  f.orchestrator->stop();
  CHECK(f.policy->stopped);
  CHECK(d.count() == 5);
  CHECK(f.orchestrator->submit(sdk::make_nop_event("d"), &d).code() == sdk::StatusCode::unavailable);
}

TEST_CASE("stop waits for a submit still inside the policy, whose answer is delivered") {
  RecordingDestination d;
  auto owned = std::make_unique<AnswersWhenToldPolicy>();
  AnswersWhenToldPolicy* policy = owned.get();
  Orchestrator orchestrator(
      core::PluginObject<sdk::ExplorePolicy>{nullptr, std::move(owned), "answers-when-told"}, {});
  REQUIRE(orchestrator.start());
  auto entered = policy->entered.get_future();
  auto submitted = std::async(std::launch::async, [&] {
    return static_cast<bool>(orchestrator.submit(sdk::make_packet_event("a", "x", "y", "", ""), &d));
  });
  entered.wait();
  auto stopped = std::async(std::launch::async, [&] { orchestrator.stop(); });
  // A stop that did not wait would have destroyed the mailbox the answer
  // goes through by now (ASan reports the use after free).
  CHECK(stopped.wait_for(200ms) == std::future_status::timeout);
  policy->answer.set_value();
  CHECK(submitted.get());
  stopped.get();
  CHECK(d.count() == 1);
  CHECK_FALSE(orchestrator.submit(sdk::make_packet_event("a", "x", "y", "", ""), &d));
}

TEST_CASE("bad events and double answers are refused") {
  RecordingDestination d;
  Fixture f;
  sdk::Event unknown = sdk::make_nop_event("d");
  unknown.class_name = "WeirdEvent";
  CHECK(f.orchestrator->submit(unknown, &d).message() == "unknown event class \"WeirdEvent\"");
  sdk::Event no_entity = sdk::make_nop_event("");
  CHECK(f.orchestrator->submit(no_entity, &d).message() == "event has no entity");
  auto e = sdk::make_packet_event("d", "x", "y", "", "");
  REQUIRE(f.orchestrator->submit(e, &d));
  CHECK(f.orchestrator->submit(e, &d).message() == "an event with uuid " + e.uuid + " is already pending");
  f.policy->sink()->emit(sdk::default_action(e));
  f.policy->sink()->emit(sdk::default_action(e));  // second answer: dropped
  sdk::Action stray = sdk::default_action(sdk::make_packet_event("nobody", "x", "y", "", ""));
  stray.event_uuid.clear();
  f.policy->sink()->emit(stray);  // unknown entity: dropped
  f.orchestrator->stop();
  CHECK(d.count() == 1);
}

TEST_CASE("shell actions run in the orchestrator") {
  auto marker = std::filesystem::temp_directory_path() / ("nmz-shell-" + std::to_string(::getpid()));
  std::filesystem::remove(marker);
  Fixture f({true, true, {}});
  f.policy->sink()->emit(sdk::make_shell_action("touch " + marker.string()));
  f.orchestrator->stop();  // waits for queued shell actions
  CHECK(std::filesystem::exists(marker));
  std::filesystem::remove(marker);
  auto trace = f.orchestrator->take_trace();
  REQUIRE(trace.size() == 1);
  CHECK_FALSE(trace[0].event.has_value());
}

TEST_CASE("an exception out of queue_event releases every held event and the rest of the run passes through") {
  RecordingDestination d;
  auto owned = std::make_unique<ThrowingPolicy>();
  ThrowingPolicy* policy = owned.get();
  policy->throw_at_event = 3;
  Orchestrator orchestrator(core::PluginObject<sdk::ExplorePolicy>{nullptr, std::move(owned), "throwing"}, {});
  REQUIRE(orchestrator.start());
  std::vector<sdk::Event> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(sdk::make_filesystem_event("d", "write", "f", ""));
    REQUIRE(orchestrator.submit(held.back(), &d));
  }
  CHECK(d.count() == 0);
  CHECK_FALSE(orchestrator.policy_failure().has_value());
  REQUIRE(orchestrator.submit(sdk::make_filesystem_event("d", "write", "f", ""), &d));  // throws inside
  CHECK(d.wait_for(3).size() == 3);
  CHECK(orchestrator.pending_events() == 0);
  CHECK(orchestrator.policy_failure() ==
        std::optional<std::string>("exception in plugin policy \"throwing\" (), call queue_event: bad decision"));
  CHECK_FALSE(orchestrator.enabled());
  orchestrator.set_enabled(true);
  CHECK_FALSE(orchestrator.enabled());
  REQUIRE(orchestrator.submit(sdk::make_filesystem_event("d", "write", "f", ""), &d));
  CHECK(d.wait_for(4).size() == 4);
  CHECK(policy->seen == 3);  // the policy saw nothing more
  // What the failed policy still emits is dropped, even an action of its
  // own (no cause event) for an entity that is there.
  policy->sink()->emit(sdk::default_action(held[0]));
  sdk::Action own = sdk::default_action(held[1]);
  own.event_uuid.clear();
  policy->sink()->emit(own);
  orchestrator.stop();
  CHECK(d.count() == 4);
}

TEST_CASE("a fatal signal in queue_event releases every held event, and the crashed policy is called no more") {
  core::install_plugin_crash_report();
  RecordingDestination d;
  {
    Orchestrator orchestrator(core::PluginObject<sdk::ExplorePolicy>{nullptr, std::make_unique<CrashingPolicy>(),
                                                                     "crashing"},
                              {});
    REQUIRE(orchestrator.start());
    for (int i = 0; i < 2; ++i) REQUIRE(orchestrator.submit(sdk::make_filesystem_event("d", "write", "f", ""), &d));
    CHECK(d.count() == 0);
    REQUIRE(orchestrator.submit(sdk::make_filesystem_event("d", "write", "f", ""), &d));  // crashes inside
    CHECK(d.wait_for(3).size() == 3);
    CHECK(orchestrator.pending_events() == 0);
    CHECK(orchestrator.policy_failure() ==
          std::optional<std::string>("SIGSEGV in plugin policy \"crashing\" (), call queue_event"));
    REQUIRE(orchestrator.submit(sdk::make_filesystem_event("d", "write", "f", ""), &d));
    CHECK(d.wait_for(4).size() == 4);
    orchestrator.stop();  // returns: the policy's stop(), which would wait for its lock, is not called
  }
  CHECK_FALSE(CrashingPolicy::destroyed);  // kept, with its lock held, for the rest of the process
  CHECK(d.count() == 4);
}

TEST_CASE("an exception out of start is an error naming the policy, one out of stop a failure") {
  {
    auto owned = std::make_unique<ThrowingPolicy>();
    owned->throw_in_start = true;
    Orchestrator orchestrator(core::PluginObject<sdk::ExplorePolicy>{nullptr, std::move(owned), "throwing"}, {});
    auto status = orchestrator.start();
    CHECK(status.code() == sdk::StatusCode::internal);
    CHECK(status.message() == "exception in plugin policy \"throwing\" (), call start: no start");
  }
  RecordingDestination d;
  auto owned = std::make_unique<ThrowingPolicy>();
  owned->throw_in_stop = true;
  Orchestrator orchestrator(core::PluginObject<sdk::ExplorePolicy>{nullptr, std::move(owned), "throwing"}, {});
  REQUIRE(orchestrator.start());
  REQUIRE(orchestrator.submit(sdk::make_filesystem_event("d", "write", "f", ""), &d));
  orchestrator.stop();
  CHECK(d.count() == 1);
  CHECK(orchestrator.policy_failure() ==
        std::optional<std::string>("exception in plugin policy \"throwing\" (), call stop: no stop"));
}
