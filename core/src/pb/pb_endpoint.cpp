// SPDX-License-Identifier: Apache-2.0
#include "pb/pb_endpoint.hpp"

#include "inspector_server.hpp"

namespace nmz::core::pb {

PbEndpoint::PbEndpoint(Orchestrator& orchestrator) : orchestrator_(orchestrator), logger_("pb") {}

PbEndpoint::~PbEndpoint() { stop(); }

sdk::Result<std::unique_ptr<PbEndpoint>> PbEndpoint::start(Orchestrator& orchestrator, const std::string& address,
                                                           int port) {
  std::unique_ptr<PbEndpoint> endpoint(new PbEndpoint(orchestrator));
  namazu_pb::InspectorServer::Options options;
  options.address = address;
  options.port = port;
  PbEndpoint* self = endpoint.get();
  auto server = namazu_pb::InspectorServer::start(
      std::move(options), [self](sdk::Event event) { return self->orchestrator_.submit(std::move(event), self); },
      endpoint->logger_);
  if (!server) return server.status();
  endpoint->server_ = std::move(server).value();
  endpoint->logger_.info("PB endpoint (Namazu's Java inspector wire) on " + address + ":" +
                         std::to_string(endpoint->server_->port()));
  return endpoint;
}

int PbEndpoint::port() const noexcept { return server_->port(); }

void PbEndpoint::stop() {
  if (server_) server_->stop();
}

void PbEndpoint::deliver(sdk::Action action) noexcept {
  try {
    if (!server_->deliver(action)) {
      logger_.debug("action " + action.uuid + " for \"" + action.entity + "\": its connection is gone");
    }
  } catch (const std::exception& e) {
    logger_.error(std::string("cannot deliver an action: ") + e.what());
  }
}

sdk::Result<std::unique_ptr<PbEndpoint>> start_pb_endpoint(Orchestrator& orchestrator, const Config& config,
                                                           int port_override) {
  int port = port_override >= 0 ? port_override : static_cast<int>(config.pb_port);
  if (port < 0) return std::unique_ptr<PbEndpoint>();
  auto endpoint = PbEndpoint::start(orchestrator, config.rest_address, port);
  if (!endpoint) {
    std::string where = config.source.empty() ? "" : config.source + ": ";
    return sdk::Status::error(endpoint.status().code(), where + "pbPort: " + endpoint.status().message());
  }
  return endpoint;
}

}  // namespace nmz::core::pb
