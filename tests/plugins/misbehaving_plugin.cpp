// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: policies that fail the way third-party code does, on
// demand, to test what nmz makes of it.
//   test-crashing: configure reads `crash` ("throw", "segfault" or "none")
//     and `crashAt` (the event count, default 1); the decision for that
//     event throws out of the noexcept queue_event, or dereferences null.
//   test-throwing-constructor: its constructor throws.
//   test-silent: accepts events and never answers them.
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <nmz/sdk/plugin.hpp>

namespace {

using nmz::sdk::Status;

// Read at run time, so the compiler cannot see the null dereference coming.
int* volatile nowhere = nullptr;

// Uninstrumented: in a UBSan build the store must still be the SIGSEGV the
// tests are about, not UBSan's own report and abort.
__attribute__((noinline, no_sanitize("null"))) void store_to_nowhere() { *nowhere = 1; }

// Out of line: the throw escapes queue_event as a third-party bug would.
[[noreturn]] __attribute__((noinline)) void fail_decision(const std::string& uuid) {
  throw std::runtime_error("test-crashing: no decision for event " + uuid);
}

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
  void queue_event(nmz::sdk::Event event) noexcept override {
    if (++seen_ == crash_at_) {
      if (crash_ == "throw") fail_decision(event.uuid);
      if (crash_ == "segfault") store_to_nowhere();
    }
    sink_->emit(nmz::sdk::default_action(event));
  }
  void stop() noexcept override {}

 private:
  std::string crash_;
  std::int64_t crash_at_ = 1;
  std::atomic<std::int64_t> seen_{0};
  nmz::sdk::ActionSink* sink_ = nullptr;
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

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-crashing", &nmz::sdk::make_policy<CrashingPolicy>, "crashes on demand");
  registrar.add_explore_policy("test-throwing-constructor", &nmz::sdk::make_policy<ThrowingConstructorPolicy>,
                               "its constructor throws");
  registrar.add_explore_policy("test-silent", &nmz::sdk::make_policy<SilentPolicy>, "never answers");
}

}  // namespace

NMZ_PLUGIN("test-misbehaving", "0.0.1", "test policies that crash, throw or never answer", register_components)
