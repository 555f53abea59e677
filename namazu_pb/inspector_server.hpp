// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

// Namazu's ProtocolBuffers inspector endpoint (pbPort): JVMs (nmz's helper
// jar or Namazu's own inspector) connect over TCP, each frame a 4-byte
// little-endian length and an InspectorMsgReq; every FUNC_CALL/FUNC_RETURN
// becomes a deferred JavaFunctionEvent and its action is answered with an
// InspectorMsgRsp carrying the request's msg_id. Used by the orchestrator's
// pbPort endpoint and by the java inspector plugin's own listener.
//
// Unlike Namazu: INITIATION is accepted (it binds the connection's entity);
// a connection serves one entity, bound by its INITIATION or first event,
// and every thread of its JVM at once; answers go back on the connection
// that asked. A frame longer than the limit, a message that does not
// decode, an unknown type or another entity than the bound one (or than
// `only_entity`) closes that connection with a logged reason: the JVM's
// held threads then proceed (fail open) and the server stays up.
namespace nmz::namazu_pb {

class InspectorServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    int port = 0;  // 0: any free port
    std::size_t max_frame_bytes = std::size_t{1} << 20;
    // Non-empty: the one entity this server accepts (an inspector's own).
    std::string only_entity;
    std::size_t max_connections = 512;
  };
  // Hands an event on. Thread: a connection's reader thread, several
  // concurrently; the action may be delivered before it returns. An error
  // means no action will come: the server answers ACK itself (fail open).
  using Submit = std::function<sdk::Status(sdk::Event)>;

  // Binds and starts accepting. `logger` is borrowed until stop() returned.
  static sdk::Result<std::unique_ptr<InspectorServer>> start(Options options, Submit submit, sdk::Logger& logger);
  InspectorServer(const InspectorServer&) = delete;
  InspectorServer& operator=(const InspectorServer&) = delete;
  ~InspectorServer();

  [[nodiscard]] int port() const noexcept { return port_; }
  // Answers the request that `action.event_uuid` came from. Thread: any.
  // Never blocks: a connection whose socket buffer is full (a JVM that
  // stopped reading its answers) is closed instead. False when no
  // connection waits for that event any more (it closed).
  bool deliver(const sdk::Action& action);
  // Closes every connection (their JVMs' held threads proceed) and joins
  // every thread. Idempotent.
  void stop();

 private:
  struct Connection;
  struct Pending {
    std::weak_ptr<Connection> connection;
    std::int32_t msg_id = 0;
    std::optional<std::int32_t> ga_msg_id;
  };
  InspectorServer(Options options, Submit submit, sdk::Logger& logger);
  void accept_loop();
  void serve(const std::shared_ptr<Connection>& connection);
  // Empty when the frame was handled; else why the connection must close.
  std::string handle_frame(const std::shared_ptr<Connection>& connection, std::string_view frame);
  // Queues one answer; sends it now unless the reader is in a batch.
  bool send_response(Connection& connection, const std::string& message);
  // Sends what the outbox holds. Caller holds connection.write_mutex.
  bool flush_outbox(Connection& connection);
  void forget_pending_of(const Connection& connection);

  Options options_;
  Submit submit_;
  sdk::Logger& logger_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = -1;
  std::thread accept_thread_;

  std::mutex connections_mutex_;
  std::condition_variable connections_done_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::atomic<bool> stopping_{false};

  std::mutex pending_mutex_;
  std::unordered_map<std::string, Pending> pending_;
};

}  // namespace nmz::namazu_pb
