// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include <nmz/sdk/inspector.hpp>

#include "plugin/plugin_call.hpp"

namespace nmz::core {

// A plugin's inspector as every host front end calls it: each call runs in a
// PluginCallScope naming the inspector and the call (for a crash report),
// and an exception out of it is caught, since one bug in a plugin must not
// end nmz and its targets. configure and run then fail with the exception's
// description; an exception out of on_action or request_stop is logged and
// the inspector goes on (the host's fail-open paths do not depend on it).
// It answers OrchestratorOptional for the wrapped inspector, whose own
// answer a host looking at the wrapper could not see.
class GuardedInspector final : public sdk::Inspector, public sdk::OrchestratorOptional {
 public:
  // `inspector` is plugin code: destroy this before unloading its library.
  GuardedInspector(std::unique_ptr<sdk::Inspector> inspector, const std::string& name,
                   const std::filesystem::path& library);

  sdk::Status configure(const sdk::ComponentContext& context, const sdk::InspectorSettings& settings) override;
  Outcome run(sdk::InspectorHost& host) override;
  void request_stop() override;
  void on_action(sdk::Action action) override;
  [[nodiscard]] ActionDelivery action_delivery() const noexcept override;
  [[nodiscard]] bool needs_orchestrator() const noexcept override { return sdk::needs_orchestrator(*inspector_); }

 private:
  void log_failure(const std::string& failure);

  std::unique_ptr<sdk::Inspector> inspector_;
  PluginCallLabel configure_label_;
  PluginCallLabel run_label_;
  PluginCallLabel request_stop_label_;
  PluginCallLabel on_action_label_;
  // A plugin that throws on every action must not flood the log.
  std::atomic<int> failures_logged_{0};
};

}  // namespace nmz::core
