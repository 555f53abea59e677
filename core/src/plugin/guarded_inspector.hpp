// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nmz/sdk/inspector.hpp>

#include "plugin/plugin_call.hpp"

namespace nmz::core {

// A plugin's inspector as every host front end calls it: each call runs in
// call_plugin, naming the inspector and the call, and an exception out of it
// is caught, since one bug in a plugin must not end nmz and its targets.
// configure and run then fail with the exception's description; an
// exception out of on_action or request_stop is logged and the inspector
// goes on (the host's fail-open paths do not depend on it). A fatal signal
// raised by the inspector's code in a call fails that call the same way, and
// the crashed inspector is called no more: later calls fail or are dropped
// (logged), and it is never destroyed nor its library unloaded
// (keep_crashed_component).
// It answers OrchestratorOptional for the wrapped inspector, whose own
// answer a host looking at the wrapper could not see.
class GuardedInspector final : public sdk::Inspector, public sdk::OrchestratorOptional {
 public:
  // `inspector` is plugin code: destroy this before unloading its library.
  GuardedInspector(std::unique_ptr<sdk::Inspector> inspector, const std::string& name,
                   std::shared_ptr<const LoadedLibrary> library);
  ~GuardedInspector() override;
  GuardedInspector(const GuardedInspector&) = delete;
  GuardedInspector& operator=(const GuardedInspector&) = delete;

  sdk::Status configure(const sdk::ComponentContext& context, const sdk::InspectorSettings& settings) override;
  Outcome run(sdk::InspectorHost& host) override;
  void request_stop() override;
  void on_action(sdk::Action action) override;
  [[nodiscard]] ActionDelivery action_delivery() const noexcept override;
  [[nodiscard]] bool needs_orchestrator() const noexcept override { return sdk::needs_orchestrator(*inspector_); }

 private:
  // Runs `body` (a call of the inspector's) unless the inspector crashed
  // before; the reason it failed, if it did.
  template <class Body>
  std::optional<std::string> call(const PluginCallLabel& label, Body&& body);
  void log_failure(const std::string& failure);

  std::shared_ptr<const LoadedLibrary> library_;
  std::unique_ptr<sdk::Inspector> inspector_;
  PluginCallLabel configure_label_;
  PluginCallLabel run_label_;
  PluginCallLabel request_stop_label_;
  PluginCallLabel on_action_label_;
  // A plugin that throws on every action must not flood the log.
  std::atomic<int> failures_logged_{0};
  // Set once a call raised a fatal signal; `crash_` says which.
  std::atomic<bool> crashed_{false};
  std::mutex crash_mutex_;
  std::string crash_;
};

}  // namespace nmz::core
