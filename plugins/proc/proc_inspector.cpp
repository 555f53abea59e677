// SPDX-License-Identifier: Apache-2.0
// `proc`: perturbs the scheduling of every thread of a process tree
// (Namazu's process inspector, catching threads when they are born).
#include <optional>

#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/plugin.hpp>

#include "action_mailbox.hpp"
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
