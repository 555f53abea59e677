// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include <nmz/sdk/status.hpp>

#include "config/config.hpp"
#include "log/logging.hpp"
#include "orchestrator/action_destination.hpp"
#include "orchestrator/orchestrator.hpp"

namespace nmz::namazu_pb {
class InspectorServer;
}

namespace nmz::core::pb {

// Namazu's ProtocolBuffers endpoint on pbPort (docs/inspectors/java.md):
// JVMs with the java inspector's agent (or Namazu's own) connect, their
// function calls reach the orchestrator as JavaFunctionEvents, and each
// action goes back to the connection that asked. It runs next to the REST
// endpoint (Namazu's multiplexer fed PB with REST's actions and could not
// serve both).
class PbEndpoint final : private ActionDestination {
 public:
  // `orchestrator` must outlive this and be stopped before this is
  // destroyed.
  static sdk::Result<std::unique_ptr<PbEndpoint>> start(Orchestrator& orchestrator, const std::string& address,
                                                       int port);
  PbEndpoint(const PbEndpoint&) = delete;
  PbEndpoint& operator=(const PbEndpoint&) = delete;
  ~PbEndpoint() override;

  [[nodiscard]] int port() const noexcept;
  // Closes every connection (the JVMs' held threads proceed). Idempotent.
  void stop();

 private:
  explicit PbEndpoint(Orchestrator& orchestrator);
  void deliver(sdk::Action action) noexcept override;
  // deliver() writes one small frame without waiting (InspectorServer):
  // answering on the policy's thread saves a thread hop per Java call.
  [[nodiscard]] bool accepts_inline_delivery() const noexcept override { return true; }

  Orchestrator& orchestrator_;
  ComponentLogger logger_;
  std::unique_ptr<namazu_pb::InspectorServer> server_;
};

// The endpoint `config` asks for (pbPort on restAddress), or nothing when
// pbPort is negative. `port_override` >= 0 replaces pbPort.
sdk::Result<std::unique_ptr<PbEndpoint>> start_pb_endpoint(Orchestrator& orchestrator, const Config& config,
                                                           int port_override = -1);

}  // namespace nmz::core::pb
