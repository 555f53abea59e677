// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>

#include <nmz/sdk/status.hpp>

#include "config/config.hpp"
#include "orchestrator/orchestrator.hpp"
#include "rest/rest_api.hpp"

namespace nmz::core::rest {

class RestConnection;

// Serves RestApi (Namazu's REST API v3) over HTTP/1.1 on one epoll event
// loop thread: keep-alive and pipelined requests, a long-poll GET parked on
// its entity's queue without a thread (the thread that delivers the action
// writes the answer to the socket itself), every limit enforced as bytes
// arrive, and idle, slow and surplus connections closed.
class RestEndpoint {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    int port = 0;  // 0: any free port
    std::size_t max_body_bytes = std::size_t{1} << 20;
    std::string token;  // restToken / NMZ_REST_TOKEN; "" for none
    // 0: from RLIMIT_NOFILE, leaving room for the rest of the process.
    std::size_t max_connections = 0;
    std::size_t max_entities = 4096;  // restMaxEntities
    // restEntityExpiry: see RestApi::Options::expire_after.
    std::chrono::milliseconds entity_expiry = std::chrono::seconds(60);
    // A request must arrive whole this soon after its first byte (slowloris).
    std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
    // A connection with no request and nothing parked is closed after this.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
    // Output the client does not read for this long closes the connection.
    std::chrono::milliseconds write_timeout = std::chrono::seconds(10);
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
  // The token clients must send; "" when none is required.
  [[nodiscard]] const std::string& token() const noexcept { return options_.token; }
  // Ends every long-poll with 503, closes every connection and joins the
  // loop. Idempotent.
  void stop();

 private:
  friend class RestConnection;
  RestEndpoint(Orchestrator& orchestrator, Options options);
  void loop();
  void accept_all();
  void on_ready(int fd, std::uint32_t events);
  void resume_woken();
  void serve(RestConnection& connection);
  void close_connection(const std::shared_ptr<RestConnection>& connection);
  void sweep(std::chrono::steady_clock::time_point now);
  bool evict_one();
  // Thread: any. Has the loop pick `connection` up again.
  void wake(std::shared_ptr<RestConnection> connection);

  Options options_;
  std::shared_ptr<spdlog::logger> log_;
  RestApi api_;
  int port_ = -1;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool listen_paused_ = false;
  std::chrono::steady_clock::time_point now_;  // loop thread only: when epoll_wait last returned
  std::unordered_map<int, std::shared_ptr<RestConnection>> connections_;  // loop thread only

  std::mutex woken_mutex_;
  std::vector<std::shared_ptr<RestConnection>> woken_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::thread loop_thread_;
};

// The endpoint `config` asks for (restAddress, restPort, restToken or
// NMZ_REST_TOKEN), or nothing when restPort is negative (REST disabled).
// `port_override` >= 0 replaces restPort (nmz run's per-run port).
sdk::Result<std::unique_ptr<RestEndpoint>> start_rest_endpoint(Orchestrator& orchestrator, const Config& config,
                                                               int port_override = -1);

}  // namespace nmz::core::rest
