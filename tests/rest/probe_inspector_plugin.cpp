// SPDX-License-Identifier: Apache-2.0
// A test inspector for the REST transceiver: submits -events deferred
// events of -class one after another (each waits for its action, as a held
// packet would), optionally -interval apart, and prints what came back:
//   probe: N accepted, N faulted, N failed-open
// ("failed-open": the wait itself timed out). When the transceiver fails
// open, its default actions count as accepted. Exit status 0 when every
// event got an answer.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <nmz/sdk/action_waiter.hpp>
#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/flags.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/plugin.hpp>
#include <nmz/sdk/registrar.hpp>

namespace {

using nmz::sdk::Status;

class ProbeInspector final : public nmz::sdk::Inspector {
 public:
  Status configure(const nmz::sdk::ComponentContext&, const nmz::sdk::InspectorSettings& settings) noexcept override {
    nmz::sdk::FlagSet flags("nmz inspectors rest-probe");
    flags.add_int("events", &events_, "events to submit");
    flags.add_string("class", &class_name_, "event class");
    flags.add_duration("interval", &interval_, "pause between events");
    flags.add_duration("wait", &wait_, "how long to wait for each action");
    return flags.parse(settings.args);
  }

  Outcome run(nmz::sdk::InspectorHost& host) noexcept override {
    long accepted = 0;
    long faulted = 0;
    long failed_open = 0;
    for (std::int64_t i = 0; i < events_ && !stop_; ++i) {
      auto event = nmz::sdk::make_event(std::string(host.entity_id()), class_name_, true, "{\"i\":" + std::to_string(i) + "}",
                                        "probe-" + std::to_string(i));
      auto action = waiter_.submit_and_wait(host, std::move(event), wait_);
      if (!action) {
        ++failed_open;
      } else if (action->class_name == "EventAcceptanceAction") {
        ++accepted;
      } else {
        ++faulted;
      }
      if (interval_.count() > 0) std::this_thread::sleep_for(interval_);
    }
    std::printf("probe: %ld accepted, %ld faulted, %ld failed-open\n", accepted, faulted, failed_open);
    std::fflush(stdout);
    return {Status::ok(), accepted + faulted + failed_open == events_ ? 0 : 1};
  }

  void request_stop() noexcept override {
    stop_ = true;
    waiter_.cancel_all();
  }
  void on_action(nmz::sdk::Action action) noexcept override { waiter_.deliver(std::move(action)); }

 private:
  std::int64_t events_ = 10;
  std::string class_name_ = "PacketEvent";
  std::chrono::nanoseconds interval_{0};
  std::chrono::nanoseconds wait_ = std::chrono::seconds(60);
  std::atomic<bool> stop_{false};
  nmz::sdk::ActionWaiter waiter_;
};

// Answers every event with its fault action at once, so that tests see
// faults travel over REST without depending on a random policy.
class FaultAllPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  Status configure(const nmz::sdk::ComponentContext&) noexcept override { return {}; }
  Status start(nmz::sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    return {};
  }
  void queue_event(nmz::sdk::Event event) noexcept override {
    auto fault = nmz::sdk::default_fault_action(event);
    sink_->emit(fault ? *fault : nmz::sdk::default_action(event));
  }
  void stop() noexcept override {}

 private:
  nmz::sdk::ActionSink* sink_ = nullptr;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-fault-all", &nmz::sdk::make_policy<FaultAllPolicy>, "faults every event");
  registrar.add_inspector("rest-probe", &nmz::sdk::make_inspector<ProbeInspector>,
                          "test inspector: submits deferred events and counts answers");
}

}  // namespace

NMZ_PLUGIN("test-rest-probe", "0.1.0", "REST transceiver test inspector", register_components)
