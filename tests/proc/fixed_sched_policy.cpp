// SPDX-License-Identifier: Apache-2.0
// Test-only explore policy `fixedsched`: answers every ProcSetEvent at once
// with the same, configured attributes for every thread (and optionally a
// pause of every process every Nth event), so that tests can check exactly
// what the proc inspector applied.
//
//   [explorePolicyParam]
//   schedPolicy = 3      # SchedPolicy value (3 = SCHED_BATCH)
//   nice = 7
//   priority = 0
//   cpus = "0"           # comma-separated, "" = no affinity change
//   runtime = "500us"    # SCHED_DEADLINE parameters
//   deadline = "1ms"
//   period = "1ms"
//   pause = "200ms"      # 0 = no pauses
//   pauseEvery = 1
#include <atomic>
#include <sstream>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/plugin.hpp>
#include <nmz/sdk/proc_sched.hpp>

namespace {

class FixedSchedPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  nmz::sdk::Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    const auto& o = context.options();
    auto policy = o.get_int("schedPolicy");
    auto nice = o.get_int("nice");
    auto priority = o.get_int("priority");
    auto cpus = o.get_string("cpus");
    auto pause = o.get_duration("pause");
    for (auto [key, target] : {std::pair{"runtime", &attr_.runtime}, std::pair{"deadline", &attr_.deadline},
                               std::pair{"period", &attr_.period}}) {
      auto value = o.get_duration(key);
      if (!value) return value.status();
      *target = value->value_or(std::chrono::nanoseconds(0));
    }
    auto every = o.get_int("pauseEvery");
    if (!policy) return policy.status();
    if (!nice) return nice.status();
    if (!priority) return priority.status();
    if (!cpus) return cpus.status();
    if (!pause) return pause.status();
    if (!every) return every.status();
    attr_.policy = static_cast<nmz::sdk::SchedPolicy>(policy->value_or(3));
    attr_.nice = static_cast<std::int32_t>(nice->value_or(0));
    attr_.priority = static_cast<std::uint32_t>(priority->value_or(0));
    std::istringstream list(cpus->value_or(""));
    for (std::string cpu; std::getline(list, cpu, ',');) attr_.cpus.push_back(std::stoi(cpu));
    pause_ = pause->value_or(std::chrono::nanoseconds(0));
    pause_every_ = every->value_or(1);
    return nmz::sdk::Status::ok();
  }

  nmz::sdk::Status start(nmz::sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    return nmz::sdk::Status::ok();
  }

  void queue_event(nmz::sdk::Event event) noexcept override {
    try {
      auto tids = nmz::sdk::proc_set_tids(event);
      if (!tids) {
        sink_->emit(nmz::sdk::default_action(event));
        return;
      }
      nmz::sdk::ProcSchedPlan plan;
      for (int tid : *tids) plan.attrs[tid] = attr_;
      if (pause_.count() > 0 && ++count_ % pause_every_ == 0) {
        if (auto pids = nmz::sdk::proc_set_pids(event)) {
          for (int pid : *pids) plan.pauses[pid] = pause_;
        }
      }
      sink_->emit(nmz::sdk::make_proc_set_sched_action(event, plan));
    } catch (...) {
    }
  }

  void stop() noexcept override {}

 private:
  nmz::sdk::SchedAttr attr_;
  std::chrono::nanoseconds pause_{0};
  std::int64_t pause_every_ = 1;
  std::atomic<std::int64_t> count_{0};
  nmz::sdk::ActionSink* sink_ = nullptr;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("fixedsched", &nmz::sdk::make_policy<FixedSchedPolicy>,
                               "test only: the same scheduler attributes for every thread");
}

}  // namespace

NMZ_PLUGIN("fixedsched", "0.0.1", "Test policy for the proc inspector", register_components)
