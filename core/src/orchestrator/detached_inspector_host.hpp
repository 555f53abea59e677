// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nmz/sdk/inspector.hpp>

#include "log/logging.hpp"

namespace nmz::core {

// The host of an inspector run that submits nothing
// (sdk::OrchestratorOptional, e.g. java's -print-agent-options): no
// orchestrator behind it, so every submit() is refused.
class DetachedInspectorHost final : public sdk::InspectorHost {
 public:
  explicit DetachedInspectorHost(std::string entity_id);

  sdk::Status submit(sdk::Event event) noexcept override;
  [[nodiscard]] sdk::Logger& logger() noexcept override { return logger_; }
  [[nodiscard]] std::string_view entity_id() const noexcept override { return entity_id_; }

 private:
  std::string entity_id_;
  ComponentLogger logger_;
};

}  // namespace nmz::core
