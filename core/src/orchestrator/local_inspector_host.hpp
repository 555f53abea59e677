// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nmz/sdk/inspector.hpp>

#include "log/logging.hpp"
#include "orchestrator/action_destination.hpp"
#include "orchestrator/orchestrator.hpp"

namespace nmz::core {

// The in-process ("local://") endpoint: connects an inspector running in
// this process to an orchestrator running in this process, with no
// serialisation. Used by autopilot mode and container mode.
class LocalInspectorHost final : public sdk::InspectorHost, private ActionDestination {
 public:
  // `orchestrator` and `inspector` are borrowed and must outlive this.
  // Construct it after the inspector's configure() succeeded. `inspector`
  // is the GuardedInspector PluginHost made: its calls are labelled and
  // caught there.
  LocalInspectorHost(Orchestrator& orchestrator, sdk::Inspector& inspector, std::string entity_id);

  sdk::Status submit(sdk::Event event) noexcept override;
  [[nodiscard]] sdk::Logger& logger() noexcept override { return logger_; }
  [[nodiscard]] std::string_view entity_id() const noexcept override { return entity_id_; }

 private:
  void deliver(sdk::Action action) noexcept override;
  [[nodiscard]] bool accepts_inline_delivery() const noexcept override { return inline_delivery_; }

  Orchestrator& orchestrator_;
  sdk::Inspector& inspector_;
  std::string entity_id_;
  bool inline_delivery_;
  ComponentLogger logger_;
};

}  // namespace nmz::core
