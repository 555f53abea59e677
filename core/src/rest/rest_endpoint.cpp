// SPDX-License-Identifier: Apache-2.0
#include "rest/rest_endpoint.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "log/logging.hpp"
#include "rest/http_request_parser.hpp"
#include "rest/http_response.hpp"

namespace nmz::core::rest {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kJson = "application/json; charset=UTF-8";
constexpr std::string_view kText = "text/plain; charset=UTF-8";
constexpr std::string_view kBatchHeader = "X-Nmz-Batch: 1\r\n";
// Pipelined requests are not read ahead past this much unsent output, and a
// parked long-poll's connection not past this much unread input.
constexpr std::size_t kMaxBufferedOutput = std::size_t{1} << 20;
constexpr std::size_t kMaxParkedInput = 64 * 1024;
// Descriptors left to the rest of the process (plugins, inspectors'
// scripts, log files) when the connection limit comes from RLIMIT_NOFILE.
constexpr std::size_t kReservedDescriptors = 128;
constexpr int kSweepMilliseconds = 500;

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost";
}

std::string peer_name(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text, sizeof text);
  }
  return text;
}

std::size_t default_max_connections() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 4096;
  const auto available = static_cast<std::size_t>(limit.rlim_cur);
  return std::clamp<std::size_t>(available > kReservedDescriptors ? available - kReservedDescriptors : 0, 16, 65536);
}

}  // namespace

// One client connection. The loop thread reads, parses and answers it; while
// it is parked on a long-poll, the thread that takes it out of its entity's
// queue (a delivering policy thread, or the loop) writes the answer.
class RestConnection final : public RestEntityQueue::LongPollWaiter,
                             public std::enable_shared_from_this<RestConnection> {
 public:
  enum class Flush { done, blocked, failed };

  RestConnection(RestEndpoint& endpoint, int fd, std::string peer, HttpRequestParser::Limits limits)
      : endpoint_(endpoint), fd(fd), peer(std::move(peer)), parser(limits), last_activity(Clock::now()) {}

  void answer(RestEntityQueue::Poll poll) noexcept override {
    bool resume = false;
    {
      std::lock_guard lock(mutex);
      if (closed || !parked) return;
      parked = false;
      try {
        append_reply(RestApi::reply_for(*long_poll, poll), parked_keep_alive);
      } catch (...) {
        broken = true;  // out of memory: the loop closes it; the action stays queued
      }
      long_poll.reset();
      // The usual case ends here: the answer is sent and nothing else is
      // waiting, so the loop thread is not woken (its next epoll event is the
      // client's DELETE).
      resume = broken || flush() != Flush::done || parser.buffered() > 0 || close_after_write;
    }
    if (resume) endpoint_.wake(shared_from_this());
  }

  // Lock held.
  void append_reply(const RestReply& reply, bool keep_alive) {
    append_http_response(out, reply.status, reply.json ? kJson : kText, reply.body,
                         reply.batch ? kBatchHeader : std::string_view(), keep_alive);
    if (!keep_alive) close_after_write = true;
  }

  // Lock held. Sends what is buffered without blocking.
  Flush flush() {
    while (out_offset < out.size()) {
      ssize_t sent = ::send(fd, out.data() + out_offset, out.size() - out_offset, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent > 0) {
        out_offset += static_cast<std::size_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!write_blocked_since) write_blocked_since = Clock::now();
        return Flush::blocked;
      }
      return Flush::failed;
    }
    out.clear();
    out_offset = 0;
    write_blocked_since.reset();
    return Flush::done;
  }

  RestEndpoint& endpoint_;
  std::mutex mutex;
  const int fd;
  const std::string peer;
  HttpRequestParser parser;
  std::string out;
  std::size_t out_offset = 0;
  bool closed = false;
  bool broken = false;
  bool parked = false;
  bool parked_keep_alive = true;
  bool close_after_write = false;
  bool watching_output = false;
  std::optional<RestApi::LongPoll> long_poll;
  Clock::time_point last_activity;
  Clock::time_point request_started;
  std::optional<Clock::time_point> write_blocked_since;
};

RestEndpoint::RestEndpoint(Orchestrator& orchestrator, Options options)
    : options_(std::move(options)),
      log_(named_logger("rest")),
      api_(orchestrator, [this] {
        RestApi::Options api;
        api.token = options_.token;
        api.max_entities = options_.max_entities;
        api.expire_after = options_.entity_expiry;
        return api;
      }()) {
  if (options_.max_connections == 0) options_.max_connections = default_max_connections();
}

sdk::Result<std::unique_ptr<RestEndpoint>> RestEndpoint::start(Orchestrator& orchestrator, Options options) {
  if (options.port < 0 || options.port > 65535) {
    return sdk::Status::invalid("REST port " + std::to_string(options.port) + " is out of range (0 to 65535)");
  }
  std::unique_ptr<RestEndpoint> endpoint(new RestEndpoint(orchestrator, std::move(options)));
  const std::string& address = endpoint->options_.address;
  const auto cannot_listen = [&](const std::string& why) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              "cannot listen for REST on " + address + ":" + std::to_string(endpoint->options_.port) +
                                  ": " + why + " (restAddress/restPort in the config)");
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(endpoint->options_.port);
  if (int error = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &found); error != 0) {
    return cannot_listen(::gai_strerror(error));
  }
  std::string why = "no address";
  for (addrinfo* candidate = found; candidate != nullptr && endpoint->listen_fd_ < 0; candidate = candidate->ai_next) {
    int fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      candidate->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      endpoint->listen_fd_ = fd;
    } else {
      why = std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (endpoint->listen_fd_ < 0) return cannot_listen(why);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(endpoint->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  endpoint->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                                       : reinterpret_cast<sockaddr_in&>(bound).sin_port);

  endpoint->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  endpoint->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (endpoint->epoll_fd_ < 0 || endpoint->wake_fd_ < 0) return cannot_listen(std::strerror(errno));
  for (int fd : {endpoint->listen_fd_, endpoint->wake_fd_}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    ::epoll_ctl(endpoint->epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }
  endpoint->loop_thread_ = std::thread([raw = endpoint.get()] { raw->loop(); });
  endpoint->log_->info("REST API v3 listening on http://{}:{}/api/v3", address, endpoint->port_);
  if (!is_loopback(address) && endpoint->options_.token.empty()) {
    endpoint->log_->warn(
        "restAddress {} reaches beyond loopback and no restToken (or NMZ_REST_TOKEN) is set: anyone who can reach "
        "port {} can submit events, read and acknowledge actions, and so trigger the policy's shell actions",
        address, endpoint->port_);
  }
  return endpoint;
}

RestEndpoint::~RestEndpoint() {
  stop();
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void RestEndpoint::stop() {
  std::lock_guard lock(stop_mutex_);
  if (stopping_.exchange(true)) return;
  if (!loop_thread_.joinable()) return;
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  loop_thread_.join();
}

void RestEndpoint::wake(std::shared_ptr<RestConnection> connection) {
  bool first = false;
  {
    std::lock_guard lock(woken_mutex_);
    first = woken_.empty();
    woken_.push_back(std::move(connection));
  }
  if (first) {
    std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

void RestEndpoint::loop() {
  epoll_event events[256];
  auto next_sweep = Clock::now() + std::chrono::milliseconds(kSweepMilliseconds);
  while (!stopping_) {
    int ready = ::epoll_wait(epoll_fd_, events, 256, kSweepMilliseconds);
    // One clock reading serves every request of this wake-up.
    now_ = Clock::now();
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        accept_all();
      } else if (fd == wake_fd_) {
        std::uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof count);
        resume_woken();
      } else {
        on_ready(fd, events[i].events);
      }
    }
    if (now_ >= next_sweep) {
      sweep(now_);
      next_sweep = now_ + std::chrono::milliseconds(kSweepMilliseconds);
    }
  }
  // Parked long-polls end with 503 (written by close() through answer()),
  // then every connection gets what it is owed, as far as the socket takes
  // it without waiting.
  api_.close();
  resume_woken();
  auto connections = std::move(connections_);
  for (auto& [fd, connection] : connections) {
    {
      std::lock_guard lock(connection->mutex);
      (void)connection->flush();
    }
    close_connection(connection);
  }
}

void RestEndpoint::accept_all() {
  for (;;) {
    if (connections_.size() >= options_.max_connections && !evict_one()) break;
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // The process is out of descriptors: make room, or stop listening
        // until the next sweep rather than spin on a ready socket.
        log_->warn("out of file descriptors with {} REST connections: closing the most idle", connections_.size());
        if (evict_one()) continue;
        epoll_event event{};
        event.data.fd = listen_fd_;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &event);
        listen_paused_ = true;
      }
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto connection = std::make_shared<RestConnection>(
        *this, fd, peer_name(address), HttpRequestParser::Limits{16 * 1024, options_.max_body_bytes});
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      ::close(fd);
      continue;
    }
    connections_.emplace(fd, std::move(connection));
  }
}

void RestEndpoint::on_ready(int fd, std::uint32_t events) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  std::shared_ptr<RestConnection> connection = it->second;
  bool close = false;
  {
    std::lock_guard lock(connection->mutex);
    RestConnection& c = *connection;
    if ((events & EPOLLOUT) != 0 && !c.parked) serve(c);
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
      char buffer[64 * 1024];
      for (;;) {
        ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got > 0) {
          if (!c.parser.mid_request()) c.request_started = now_;
          c.last_activity = now_;
          c.parser.append(std::string_view(buffer, static_cast<std::size_t>(got)));
          if (c.parked) {
            if (c.parser.buffered() > kMaxParkedInput) close = true;
          } else {
            serve(c);
          }
          if (close || c.broken || static_cast<std::size_t>(got) < sizeof buffer) break;
          // A client that keeps writing while its output backs up waits.
          if (c.out.size() > kMaxBufferedOutput) break;
          continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        close = true;  // the client closed or reset: a parked poll ends here too
        break;
      }
    }
    close = close || c.broken;
  }
  if (close) close_connection(connection);
}

void RestEndpoint::resume_woken() {
  std::vector<std::shared_ptr<RestConnection>> woken;
  {
    std::lock_guard lock(woken_mutex_);
    woken.swap(woken_);
  }
  for (auto& connection : woken) {
    bool close = false;
    {
      std::lock_guard lock(connection->mutex);
      if (connection->closed) continue;
      if (!connection->parked) serve(*connection);
      close = connection->broken;
    }
    if (close) close_connection(connection);
  }
}

// Lock held. Answers every complete request that is buffered, until one
// parks or the output backs up; then sends. Marks the connection broken when
// it must be closed.
void RestEndpoint::serve(RestConnection& c) {
  while (!c.parked && !c.close_after_write && !c.broken && c.out.size() <= kMaxBufferedOutput) {
    const auto state = c.parser.parse();
    if (state == HttpRequestParser::State::need_more) break;
    if (state == HttpRequestParser::State::head_complete) {
      c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
      continue;
    }
    if (state == HttpRequestParser::State::error) {
      c.append_reply(RestApi::error(c.parser.error_status(), c.parser.error_message()), false);
      break;
    }
    HttpRequest& request = c.parser.request();
    c.last_activity = now_;
    std::variant<RestReply, RestApi::LongPoll> result = RestApi::error(500, "internal error");
    try {
      result = api_.handle(request, c.peer);
    } catch (const std::exception& e) {
      log_->error("REST request {} {} failed: {}", request.method, request.path, e.what());
      result = RestApi::error(500, std::string("internal error: ") + e.what());
    }
    if (auto* reply = std::get_if<RestReply>(&result)) {
      c.append_reply(*reply, request.keep_alive);
      continue;
    }
    auto& long_poll = std::get<RestApi::LongPoll>(result);
    c.parked = true;
    c.parked_keep_alive = request.keep_alive;
    c.long_poll = long_poll;
    // The lock of this connection is held: a delivery that takes it out
    // right away waits for serve() to return, then writes its answer.
    auto answer = long_poll.queue->poll_or_park(long_poll.max, c.shared_from_this());
    if (answer) {
      c.parked = false;
      c.long_poll.reset();
      c.append_reply(RestApi::reply_for(long_poll, *answer), request.keep_alive);
    }
  }
  const auto flushed = c.flush();
  if (flushed == RestConnection::Flush::failed) {
    c.broken = true;
    return;
  }
  const bool want_output = flushed == RestConnection::Flush::blocked;
  if (want_output != c.watching_output) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (want_output ? EPOLLOUT : 0u);
    event.data.fd = c.fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &event);
    c.watching_output = want_output;
  }
  if (flushed == RestConnection::Flush::done && c.close_after_write) c.broken = true;
}

void RestEndpoint::close_connection(const std::shared_ptr<RestConnection>& connection) {
  {
    std::lock_guard lock(connection->mutex);
    if (connection->closed) return;
    connection->closed = true;
    // A vanished long-poller loses nothing: GET only peeks.
    if (connection->parked) connection->long_poll->queue->unpark(connection.get());
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, connection->fd, nullptr);
    ::close(connection->fd);
  }
  connections_.erase(connection->fd);
}

void RestEndpoint::sweep(Clock::time_point now) {
  if (listen_paused_ && connections_.size() < options_.max_connections) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = listen_fd_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &event);
    listen_paused_ = false;
  }
  std::vector<std::shared_ptr<RestConnection>> expired;
  for (auto& [fd, connection] : connections_) {
    std::lock_guard lock(connection->mutex);
    const RestConnection& c = *connection;
    if (c.parked) continue;  // a long-poll waits as long as its entity has nothing
    const bool slow_request = c.parser.mid_request() && now - c.request_started > options_.request_timeout;
    const bool slow_reader = c.write_blocked_since && now - *c.write_blocked_since > options_.write_timeout;
    const bool idle = !c.parser.mid_request() && c.out.empty() && now - c.last_activity > options_.idle_timeout;
    if (slow_request || slow_reader || idle) expired.push_back(connection);
  }
  for (auto& connection : expired) {
    log_->debug("closing REST connection from {}: idle or too slow", connection->peer);
    close_connection(connection);
  }
  api_.expire_idle(now);
}

// Makes room for a new connection: the oldest unfinished request goes first
// (a slow or stalled client), then the longest idle connection, then the
// oldest parked long-poll (its client reconnects and polls again).
bool RestEndpoint::evict_one() {
  std::shared_ptr<RestConnection> victim;
  int victim_rank = 3;
  Clock::time_point victim_since = Clock::time_point::max();
  for (auto& [fd, connection] : connections_) {
    std::lock_guard lock(connection->mutex);
    const RestConnection& c = *connection;
    int rank = c.parked ? 2 : c.parser.mid_request() ? 0 : 1;
    Clock::time_point since = rank == 0 ? c.request_started : c.last_activity;
    if (rank < victim_rank || (rank == victim_rank && since < victim_since)) {
      victim = connection;
      victim_rank = rank;
      victim_since = since;
    }
  }
  if (!victim) return false;
  log_->warn("{} REST connections, the limit: closing one from {} to accept another", connections_.size(),
             victim->peer);
  close_connection(victim);
  return true;
}

sdk::Result<std::unique_ptr<RestEndpoint>> start_rest_endpoint(Orchestrator& orchestrator, const Config& config,
                                                               int port_override) {
  int port = port_override >= 0 ? port_override : static_cast<int>(config.rest_port);
  if (port < 0) return std::unique_ptr<RestEndpoint>();
  RestEndpoint::Options options;
  options.address = config.rest_address;
  options.port = port;
  options.token = config.rest_token;
  options.max_entities = static_cast<std::size_t>(config.rest_max_entities);
  options.entity_expiry = std::chrono::duration_cast<std::chrono::milliseconds>(config.rest_entity_expiry);
  if (const char* token = std::getenv("NMZ_REST_TOKEN"); token != nullptr && *token != '\0') options.token = token;
  auto endpoint = RestEndpoint::start(orchestrator, std::move(options));
  if (!endpoint) {
    std::string where = config.source.empty() ? "" : config.source + ": ";
    return sdk::Status::error(endpoint.status().code(), where + endpoint.status().message());
  }
  return endpoint;
}

}  // namespace nmz::core::rest
