// SPDX-License-Identifier: Apache-2.0
// `proc`: perturbs the scheduling of every thread of a process tree
// (Namazu's process inspector, catching threads when they are born).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/plugin.hpp>

#include "action_mailbox.hpp"
#include "failure_rate.hpp"
#include "inspection_loop.hpp"
#include "proc_options.hpp"

namespace nmz::plugins::proc {
namespace {

class ProcInspector final : public sdk::Inspector {
 public:
  sdk::Status configure(const sdk::ComponentContext& /*context*/,
                        const sdk::InspectorSettings& settings) noexcept override {
    return nmz::sdk::guarded("", [&]() -> sdk::Status {
      auto options = parse_proc_options(settings.args);
      if (!options) return options.status();
      options_ = std::move(*options);
      return sdk::Status::ok();
    });
  }

  Outcome run(sdk::InspectorHost& host) noexcept override {
    try {
      if (options_.runs > 0) return run_loop(host);
      InspectionLoop loop(host, options_, mailbox_);
      return loop.run();
    } catch (const std::exception& e) {
      mailbox_.close();
      return {sdk::Status::error(sdk::StatusCode::internal, e.what()), 1};
    }
  }

  void request_stop() noexcept override { mailbox_.request_stop(); }

  void on_action(sdk::Action action) noexcept override {
    try {
      mailbox_.post(std::move(action));
    } catch (...) {
      // Out of memory: losing one decision only leaves threads as they are.
    }
  }

 private:
  // Loop mode: the command N times in one nmz, one run after another (runs
  // at the same time would perturb each other's scheduling). No replay
  // line: the policy's draws continue from run to run, and what proc
  // perturbs is the kernel's timing, which no seed reproduces.
  Outcome run_loop(sdk::InspectorHost& host) {
    using Clock = std::chrono::steady_clock;
    auto started = Clock::now();
    std::uint64_t finished = 0;
    std::uint64_t failures = 0;
    std::uint64_t first_failure = 0;
    int first_status = 0;
    std::uint64_t every = options_.runs >= 10 ? options_.runs / 10 : 1;
    auto ms_per_run = [&] {
      char text[32];
      std::snprintf(text, sizeof text, "%.1f",
                    std::chrono::duration<double, std::milli>(Clock::now() - started).count() /
                        static_cast<double>(finished == 0 ? 1 : finished));
      return std::string(text);
    };
    while (finished < options_.runs && !mailbox_.stop_requested() && !(options_.until_failure && failures > 0)) {
      mailbox_.reopen();
      Outcome outcome = InspectionLoop(host, options_, mailbox_).run();
      if (!outcome.status) return outcome;
      if (mailbox_.stop_requested()) break;  // cut short by the stop: not counted
      ++finished;
      if (outcome.exit_code != 0) {
        if (++failures == 1) {
          first_failure = finished;
          first_status = outcome.exit_code;
        }
        host.logger().warn("loop: run " + std::to_string(finished) + " failed with exit status " +
                           std::to_string(outcome.exit_code));
      }
      if (finished % every == 0 || finished == options_.runs) {
        host.logger().info("loop: " + std::to_string(finished) + "/" + std::to_string(options_.runs) + " runs, " +
                           describe_failure_rate(failures, finished) + ", " + ms_per_run() + " ms per run");
      }
    }
    std::cout << "proc loop: " << finished << " runs, " << describe_failure_rate(failures, finished) << ", "
              << ms_per_run() << " ms per run\n";
    if (failures > 0) {
      std::cout << "first failure: run " << first_failure << ", exit status " << first_status << "\n";
    } else if (finished < options_.runs) {
      std::cout << "stopped after " << finished << " of " << options_.runs << " runs\n";
    }
    std::cout << std::flush;
    return {sdk::Status::ok(), failures > 0 ? 1 : finished < options_.runs ? 130 : 0};
  }

  ProcOptions options_;
  ActionMailbox mailbox_;
};

void register_components(sdk::Registrar& registrar) {
  registrar.add_inspector("proc", &sdk::make_inspector<ProcInspector>,
                          "scheduling of a process tree's threads (ProcSetEvent/ProcSetSchedAction): -pid PID or -- CMD");
}

}  // namespace
}  // namespace nmz::plugins::proc

NMZ_PLUGIN("proc", "0.3.0", "Process inspector: thread scheduling, CPU affinity and pauses",
           nmz::plugins::proc::register_components)
