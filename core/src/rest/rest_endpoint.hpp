// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <spdlog/logger.h>

#include <nmz/sdk/status.hpp>

#include "config/config.hpp"
#include "orchestrator/orchestrator.hpp"
#include "rest/rest_entity_queue.hpp"

namespace httplib {
class Server;
}

namespace nmz::core::rest {

// Namazu's REST API v3 in front of an Orchestrator (docs/rest-api.md):
//   POST   /api/v3/events/{entity}/{uuid}      submit an event (returns at once)
//   GET    /api/v3/actions/{entity}            long-poll: the head action, not removed
//   DELETE /api/v3/actions/{entity}/{uuid}     remove an action
//   POST   /api/v3/control?op=enableOrchestration|disableOrchestration
// Unlike Namazu it binds one address (127.0.0.1 unless configured), answers
// bad requests with 400 and a message, unknown routes with 404, refuses
// bodies over a size limit, and never lets one entity block another.
class RestEndpoint {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    int port = 0;  // 0: any free port
    std::size_t max_body_bytes = std::size_t{1} << 20;
  };

  // Binds and starts serving. `orchestrator` must stay valid until this is
  // destroyed, and must be stopped before this is destroyed (its mailboxes
  // deliver into this endpoint's queues).
  static sdk::Result<std::unique_ptr<RestEndpoint>> start(Orchestrator& orchestrator, Options options);
  RestEndpoint(const RestEndpoint&) = delete;
  RestEndpoint& operator=(const RestEndpoint&) = delete;
  ~RestEndpoint();

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] const std::string& address() const noexcept { return options_.address; }
  // Ends every long-poll, stops accepting and joins the server. Idempotent.
  void stop();

 private:
  RestEndpoint(Orchestrator& orchestrator, Options options);
  void install_routes();
  RestEntityQueue& queue_for(const std::string& entity);

  Orchestrator& orchestrator_;
  Options options_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = -1;

  std::mutex queues_mutex_;
  std::unordered_map<std::string, std::unique_ptr<RestEntityQueue>> queues_;
  bool stopping_ = false;  // guarded by queues_mutex_

  std::thread listener_;
};

// The endpoint `config` asks for (restAddress, restPort), or nothing when
// restPort is negative (REST disabled). `port_override` >= 0 replaces
// restPort (nmz run's per-run port).
sdk::Result<std::unique_ptr<RestEndpoint>> start_rest_endpoint(Orchestrator& orchestrator, const Config& config,
                                                               int port_override = -1);

}  // namespace nmz::core::rest
