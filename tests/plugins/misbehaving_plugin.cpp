// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: components that fail the way third-party code does, on
// demand, to test what nmz makes of it.
//   test-crashing policy: configure reads `crash` ("throw",
//     "throw-in-noexcept", "segfault", "abort", "stack-overflow",
//     "segfault-on-own-thread" or "none") and `crashAt` (the event count,
//     default 1); the decision for that event throws out of queue_event,
//     throws out of a noexcept function (std::terminate), dereferences null,
//     calls abort(), recurses until the stack runs out, or dereferences null
//     on a thread of its own (and waits for it).
//   test-throwing-constructor policy: its constructor throws.
//   test-silent policy: accepts events and never answers them.
//   test-throwing inspector: `-throw-in configure|run|on_action` (or
//     `segfault-in-on_action`); run() submits `-events` deferred
//     FilesystemEvents one at a time, waits for each action and prints how
//     many came; on_action takes the action, then throws (or dereferences
//     null).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nmz/sdk/action_waiter.hpp>
#include <nmz/sdk/flags.hpp>
#include <nmz/sdk/plugin.hpp>

#include "deliberate_crashes.hpp"

namespace {

using nmz::sdk::Status;
using nmz::test::recurse_without_end;
using nmz::test::store_to_nowhere;

// Out of line: the throw escapes queue_event as a third-party bug would.
[[noreturn]] __attribute__((noinline)) void fail_decision(const std::string& uuid) {
  throw std::runtime_error("test-crashing: no decision for event " + uuid);
}

// As a plugin that declares its methods noexcept: the exception cannot
// reach nmz and ends in std::terminate.
__attribute__((noinline)) void fail_decision_noexcept(const std::string& uuid) noexcept { fail_decision(uuid); }

class CrashingPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    auto crash = context.options().get_string("crash");
    if (!crash) return crash.status();
    crash_ = crash->value_or("none");
    auto at = context.options().get_int("crashAt");
    if (!at) return at.status();
    crash_at_ = at->value_or(1);
    return {};
  }
  Status start(nmz::sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    return {};
  }
  void queue_event(nmz::sdk::Event event) override {
    if (++seen_ == crash_at_) {
      if (crash_ == "throw") fail_decision(event.uuid);
      if (crash_ == "throw-in-noexcept") fail_decision_noexcept(event.uuid);
      if (crash_ == "segfault" || crash_ == "abort" || crash_ == "stack-overflow" ||
          crash_ == "segfault-on-own-thread") {
        // Held, as a policy holds events: nmz abandons this frame when it
        // survives the crash, and in a LeakSanitizer build a leak it reports
        // is then nmz's own.
        held_.push_back(std::move(event));
        if (crash_ == "segfault") store_to_nowhere();
        if (crash_ == "abort") std::abort();
        if (crash_ == "stack-overflow") recurse_without_end(0);
        std::thread(store_to_nowhere).join();
      }
    }
    sink_->emit(nmz::sdk::default_action(event));
  }
  void stop() noexcept override {}

 private:
  std::string crash_;
  std::int64_t crash_at_ = 1;
  std::atomic<std::int64_t> seen_{0};
  nmz::sdk::ActionSink* sink_ = nullptr;
  std::vector<nmz::sdk::Event> held_;
};

class ThrowingConstructorPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  ThrowingConstructorPolicy() { throw std::runtime_error("cannot read /nonexistent/test-model.bin"); }
  Status configure(const nmz::sdk::ComponentContext&) noexcept override { return {}; }
  Status start(nmz::sdk::ActionSink&) noexcept override { return {}; }
  void queue_event(nmz::sdk::Event) noexcept override {}
  void stop() noexcept override {}
};

// Holds every event forever, even past stop(): the host must release them.
class SilentPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  Status configure(const nmz::sdk::ComponentContext&) noexcept override { return {}; }
  Status start(nmz::sdk::ActionSink&) noexcept override { return {}; }
  void queue_event(nmz::sdk::Event) noexcept override {}
  void stop() noexcept override {}
};

class ThrowingInspector final : public nmz::sdk::Inspector {
 public:
  Status configure(const nmz::sdk::ComponentContext&, const nmz::sdk::InspectorSettings& settings) override {
    nmz::sdk::FlagSet flags("nmz inspectors test-throwing");
    flags.add_string("throw-in", &throw_in_, "configure, run, on_action or segfault-in-on_action");
    flags.add_int("events", &events_, "events to submit");
    if (auto status = flags.parse(settings.args); !status) return status;
    if (throw_in_ == "configure") throw std::runtime_error("test-throwing: configure failed");
    return {};
  }
  Outcome run(nmz::sdk::InspectorHost& host) override {
    if (throw_in_ == "run") throw std::runtime_error("test-throwing: run failed");
    std::int64_t answered = 0;
    for (std::int64_t i = 0; i < events_ && !stop_; ++i) {
      auto event = nmz::sdk::make_filesystem_event(std::string(host.entity_id()), "write", "/f", "");
      if (waiter_.submit_and_wait(host, std::move(event), std::chrono::seconds(30))) ++answered;
    }
    std::printf("test-throwing: %lld of %lld events answered\n", static_cast<long long>(answered),
                static_cast<long long>(events_));
    std::fflush(stdout);
    return {};
  }
  void request_stop() override {
    stop_ = true;
    waiter_.cancel_all();
  }
  void on_action(nmz::sdk::Action action) override {
    waiter_.deliver(std::move(action));
    if (throw_in_ == "on_action") throw std::runtime_error("test-throwing: on_action failed");
    if (throw_in_ == "segfault-in-on_action") store_to_nowhere();
  }

 private:
  std::string throw_in_;
  std::int64_t events_ = 1;
  std::atomic<bool> stop_{false};
  nmz::sdk::ActionWaiter waiter_;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-crashing", &nmz::sdk::make_policy<CrashingPolicy>, "crashes on demand");
  registrar.add_explore_policy("test-throwing-constructor", &nmz::sdk::make_policy<ThrowingConstructorPolicy>,
                               "its constructor throws");
  registrar.add_explore_policy("test-silent", &nmz::sdk::make_policy<SilentPolicy>, "never answers");
  registrar.add_inspector("test-throwing", &nmz::sdk::make_inspector<ThrowingInspector>, "throws on demand");
}

}  // namespace

NMZ_PLUGIN("test-misbehaving", "0.0.1", "test components that crash, throw or never answer", register_components)
