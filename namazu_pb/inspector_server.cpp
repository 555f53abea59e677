// SPDX-License-Identifier: Apache-2.0
#include "inspector_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "inspector_message.hpp"
#include "java_function_event.hpp"

namespace nmz::namazu_pb {

struct InspectorServer::Connection {
  int fd = -1;
  std::string peer;
  std::thread thread;
  std::atomic<bool> finished{false};
  std::mutex write_mutex;
  bool closed = false;  // under write_mutex
  // While the reader handles the frames of one read (under write_mutex):
  // answers wait in `outbox` and leave in one send when the frames are
  // done, so a JVM whose threads call at once gets one write, not one per
  // thread (each send is a trip through the TCP stack and a wake-up of the
  // JVM's reader).
  bool batching = false;
  std::string outbox;
  // Reader thread only.
  std::string entity;
  std::unordered_map<std::string, std::uint64_t> calls;

  ~Connection() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// What one recv() may take: many frames of a JVM's threads at once.
constexpr std::size_t kReadChunk = 64 * 1024;

void append_frame(std::string& out, const std::string& message) {
  auto size = static_cast<std::uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((size >> (8 * i)) & 0xFF));
  out += message;
}

std::uint32_t frame_size(const char* header) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(header);
  return bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (std::uint32_t{bytes[3]} << 24);
}

std::string peer_name(const sockaddr_in& address) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(ntohs(address.sin_port));
}

}  // namespace

InspectorServer::InspectorServer(Options options, Submit submit, sdk::Logger& logger)
    : options_(std::move(options)), submit_(std::move(submit)), logger_(logger) {}

sdk::Result<std::unique_ptr<InspectorServer>> InspectorServer::start(Options options, Submit submit,
                                                                     sdk::Logger& logger) {
  std::unique_ptr<InspectorServer> server(new InspectorServer(std::move(options), std::move(submit), logger));
  const std::string where = "PB endpoint " + server->options_.address + ":" + std::to_string(server->options_.port);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(server->options_.port));
  if (::inet_pton(AF_INET, server->options_.address.c_str(), &address.sin_addr) != 1) {
    return sdk::Status::invalid(where + ": not an IPv4 address");
  }
  server->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server->listen_fd_ < 0) return sdk::Status::error(sdk::StatusCode::unavailable, where + ": " + errno_text("socket"));
  int one = 1;
  ::setsockopt(server->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(server->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(server->listen_fd_, 128) != 0) {
    return sdk::Status::error(sdk::StatusCode::unavailable, where + ": " + errno_text("bind"));
  }
  socklen_t length = sizeof address;
  ::getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  server->port_ = ntohs(address.sin_port);
  server->stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (server->stop_fd_ < 0) return sdk::Status::error(sdk::StatusCode::unavailable, where + ": " + errno_text("eventfd"));
  server->accept_thread_ = std::thread([s = server.get()] { s->accept_loop(); });
  return server;
}

InspectorServer::~InspectorServer() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void InspectorServer::stop() {
  if (stopping_.exchange(true)) {
    if (accept_thread_.joinable()) accept_thread_.join();
    return;
  }
  if (stop_fd_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::shared_ptr<Connection>> connections;
  {
    std::lock_guard lock(connections_mutex_);
    connections.swap(connections_);
  }
  for (auto& connection : connections) ::shutdown(connection->fd, SHUT_RDWR);
  for (auto& connection : connections) {
    if (connection->thread.joinable()) connection->thread.join();
  }
}

void InspectorServer::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      logger_.error("PB endpoint: " + errno_text("poll") + "; no more connections are accepted");
      return;
    }
    if (fds[1].revents != 0 || stopping_.load()) return;
    sockaddr_in address{};
    socklen_t length = sizeof address;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        logger_.warn("PB endpoint: " + errno_text("accept"));
      }
      continue;
    }
    auto connection = std::make_shared<Connection>();
    connection->fd = fd;
    connection->peer = peer_name(address);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(connections_mutex_);
    std::erase_if(connections_, [](const std::shared_ptr<Connection>& c) {
      if (!c->finished.load()) return false;
      c->thread.join();
      return true;
    });
    if (connections_.size() >= options_.max_connections) {
      logger_.warn("PB endpoint: " + std::to_string(connections_.size()) +
                   " connections, the limit: refusing the one from " + connection->peer);
      continue;
    }
    connections_.push_back(connection);
    connection->thread = std::thread([this, connection] { serve(connection); });
  }
}

void InspectorServer::serve(const std::shared_ptr<Connection>& connection) {
  logger_.debug("PB connection from " + connection->peer);
  std::string reason;
  // input[begin, end) is what was read and not handled yet.
  std::string input(kReadChunk, '\0');
  std::size_t begin = 0;
  std::size_t end = 0;
  for (;;) {
    {
      std::lock_guard lock(connection->write_mutex);
      connection->batching = true;
    }
    // Every complete frame read so far, then their answers in one send.
    std::size_t incomplete = 4;  // bytes the first unhandled frame needs
    while (end - begin >= 4) {
      std::uint32_t size = frame_size(input.data() + begin);
      if (size > options_.max_frame_bytes) {
        reason = "a frame of " + std::to_string(size) + " bytes, more than the limit of " +
                 std::to_string(options_.max_frame_bytes);
        break;
      }
      if (end - begin < 4 + std::size_t{size}) {
        incomplete = 4 + std::size_t{size};
        break;
      }
      reason = handle_frame(connection, std::string_view(input).substr(begin + 4, size));
      begin += 4 + size;
      if (!reason.empty()) break;
    }
    {
      std::lock_guard lock(connection->write_mutex);
      connection->batching = false;
      flush_outbox(*connection);
    }
    if (!reason.empty()) break;
    if (begin > 0) {
      std::memmove(input.data(), input.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (input.size() < incomplete) input.resize(incomplete);
    ssize_t got;
    do {
      got = ::recv(connection->fd, input.data() + end, input.size() - end, 0);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
      if (end > 0) reason = "the connection ended inside a frame";
      break;
    }
    end += static_cast<std::size_t>(got);
  }
  // Logged before the peer can see the close.
  if (!reason.empty() && !stopping_.load()) {
    logger_.warn("PB connection from " + connection->peer +
                 (connection->entity.empty() ? "" : " (entity \"" + connection->entity + "\")") +
                 " closed: " + reason);
  } else {
    logger_.debug("PB connection from " + connection->peer + " ended");
  }
  {
    std::lock_guard lock(connection->write_mutex);
    connection->closed = true;
    ::shutdown(connection->fd, SHUT_RDWR);
  }
  forget_pending_of(*connection);
  connection->finished.store(true);
}

std::string InspectorServer::handle_frame(const std::shared_ptr<Connection>& connection, std::string_view frame) {
  auto request = decode_request(frame);
  if (!request) return "malformed InspectorMsgReq: " + request.status().message();
  std::string entity = request->type == RequestType::initiation && request->initiation_entity_id
                           ? *request->initiation_entity_id
                           : request->entity_id;
  if (entity.empty()) return "an empty entity id";
  if (!options_.only_entity.empty() && entity != options_.only_entity) {
    return "entity \"" + entity + "\", but this endpoint serves only \"" + options_.only_entity + "\"";
  }
  if (connection->entity.empty()) {
    connection->entity = entity;
  } else if (entity != connection->entity) {
    return "entity \"" + entity + "\" on a connection bound to \"" + connection->entity + "\"";
  }
  if (request->type == RequestType::initiation) return {};
  if (!request->event) return "an EVENT request without its Event";
  if (request->event->type == FunctionEventType::exit) {
    logger_.debug("PB entity \"" + entity + "\" exits with " + std::to_string(request->event->exit_code));
    return {};
  }
  std::uint64_t call_number = ++connection->calls[call_counter_key(*request)];
  sdk::Event event = make_java_function_event(*request, entity, call_number);
  {
    std::lock_guard lock(pending_mutex_);
    pending_[event.uuid] = Pending{connection, request->msg_id, request->ga_msg_id};
  }
  std::string uuid = event.uuid;
  if (auto status = submit_(std::move(event)); !status) {
    bool still_pending = false;
    {
      std::lock_guard lock(pending_mutex_);
      still_pending = pending_.erase(uuid) > 0;
    }
    logger_.warn("PB event of \"" + entity + "\" not accepted (" + status.message() + "): the thread proceeds");
    if (still_pending) {
      InspectorResponse ack;
      ack.msg_id = request->msg_id;
      ack.ga_msg_id = request->ga_msg_id;
      if (!send_response(*connection, encode_response(ack))) return "cannot write to it";
    }
  }
  return {};
}

bool InspectorServer::send_response(Connection& connection, const std::string& message) {
  std::lock_guard lock(connection.write_mutex);
  if (connection.closed) return false;
  append_frame(connection.outbox, message);
  // The reader sends it with the other answers of its batch.
  if (connection.batching) return true;
  return flush_outbox(connection);
}

bool InspectorServer::flush_outbox(Connection& connection) {
  std::string frames = std::move(connection.outbox);
  connection.outbox.clear();
  if (connection.closed) return false;
  std::size_t sent = 0;
  while (sent < frames.size()) {
    // Never waits: deliver() runs on the policy's threads (inline
    // delivery). A JVM whose answers fill the socket buffer (hundreds of
    // thousands unread) is not reading them at all: it is disconnected, so
    // its threads proceed.
    ssize_t n = ::send(connection.fd, frames.data() + sent, frames.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      logger_.warn("PB connection from " + connection.peer + ": " + errno_text("send") + "; closing it");
      connection.closed = true;
      ::shutdown(connection.fd, SHUT_RDWR);
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool InspectorServer::deliver(const sdk::Action& action) {
  Pending pending;
  {
    std::lock_guard lock(pending_mutex_);
    auto found = pending_.find(action.event_uuid);
    if (found == pending_.end()) return false;
    pending = std::move(found->second);
    pending_.erase(found);
  }
  auto connection = pending.connection.lock();
  if (!connection) return false;
  return send_response(*connection, encode_response(response_for(action, pending.msg_id, pending.ga_msg_id)));
}

void InspectorServer::forget_pending_of(const Connection& connection) {
  std::lock_guard lock(pending_mutex_);
  std::erase_if(pending_, [&](const auto& entry) {
    auto owner = entry.second.connection.lock();
    return !owner || owner.get() == &connection;
  });
}

}  // namespace nmz::namazu_pb
