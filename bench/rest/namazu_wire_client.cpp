// SPDX-License-Identifier: Apache-2.0
// Namazu's one-event exchange, as its inspectors and pynmz speak it, against
// a running orchestrator: per entity, POST an event on one keep-alive
// connection; on a second, long-poll GET its action and DELETE it (Go's
// resttransceiver hands the action over after the DELETE), then POST the
// next event. One event in flight per entity, no pipelining, no nmz
// extension. One thread drives every entity with epoll, so the client
// costs the machine as little as it can.
//
// Usage: namazu_wire_client PORT ENTITIES SECONDS
// Prints the round trips per second, the client's own CPU time (user +
// system) per round trip in microseconds, and its context switches
// (voluntary + involuntary) per round trip: on a machine where client and
// server share the cores, the client's cost caps the number too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "namazu_wire_client: %s\n", what.c_str());
  std::exit(1);
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    die("connect: " + std::string(std::strerror(errno)));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One keep-alive connection with at most one request outstanding.
struct Connection {
  int fd = -1;
  std::string in;

  void send_all(const std::string& request) {
    std::size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die("send: " + std::string(std::strerror(errno)));
      sent += static_cast<std::size_t>(n);
    }
  }

  // Reads what the socket has (it is non-blocking).
  void fill() {
    char buffer[16384];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) die("the server closed a connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      die("recv: " + std::string(std::strerror(errno)));
    }
    in.append(buffer, static_cast<std::size_t>(n));
  }

  // True with `status` and `body` when a whole response is buffered.
  bool next(int& status, std::string& body) {
    std::size_t head_end = in.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    std::size_t length_at = in.find("Content-Length: ");
    if (length_at == std::string::npos || length_at > head_end) die("a response without Content-Length");
    std::size_t length = std::strtoul(in.c_str() + length_at + 16, nullptr, 10);
    if (in.size() < head_end + 4 + length) return false;
    status = std::atoi(in.c_str() + 9);
    body.assign(in, head_end + 4, length);
    in.erase(0, head_end + 4 + length);
    return true;
  }
};

std::string json_string(std::string_view json, std::string_view key) {
  std::string pattern = "\"" + std::string(key) + "\":\"";
  std::size_t at = 0;
  while ((at = json.find(pattern, at)) != std::string_view::npos) {
    if (at == 0 || json[at - 1] != '_') {
      std::size_t start = at + pattern.size();
      return std::string(json.substr(start, json.find('"', start) - start));
    }
    at += pattern.size();
  }
  die("no \"" + std::string(key) + "\" in " + std::string(json));
}

struct Entity {
  std::string name;
  Connection events;
  Connection actions;
  long sequence = 0;
  std::string awaited_event;
  std::string action_uuid;
  bool deleting = false;
  long completed = 0;

  void post_event() {
    awaited_event = name + "-" + std::to_string(++sequence) + "-00000000-0000-4000-8000-000000000000";
    std::string body = R"({"type":"event","class":"PacketEvent","entity":")" + name + R"(","uuid":")" +
                       awaited_event +
                       R"(","deferred":true,"option":{"src_entity":"a","dst_entity":"b","message":{}}})";
    events.send_all("POST /api/v3/events/" + name + "/" + awaited_event +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  void get_action() {
    actions.send_all("GET /api/v3/actions/" + name + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) die("usage: namazu_wire_client PORT ENTITIES SECONDS");
  const int port = std::atoi(argv[1]);
  const int count = std::atoi(argv[2]);
  const double seconds = std::atof(argv[3]);
  std::vector<Entity> entities(static_cast<std::size_t>(count));
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < count; ++i) {
    Entity& e = entities[static_cast<std::size_t>(i)];
    e.name = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    e.events.fd = connect_to(port);
    e.actions.fd = connect_to(port);
    for (int j = 0; j < 2; ++j) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = static_cast<std::uint64_t>(i) * 2 + static_cast<std::uint64_t>(j);
      ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, j == 0 ? e.events.fd : e.actions.fd, &event);
    }
  }
  for (auto& e : entities) {
    e.get_action();
    e.post_event();
  }
  rusage usage_at_start{};
  ::getrusage(RUSAGE_SELF, &usage_at_start);
  const double cpu_at_start = static_cast<double>(usage_at_start.ru_utime.tv_sec + usage_at_start.ru_stime.tv_sec) * 1e6 +
                              static_cast<double>(usage_at_start.ru_utime.tv_usec + usage_at_start.ru_stime.tv_usec);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  long total = 0;
  epoll_event ready[64];
  int status = 0;
  std::string body;
  while (Clock::now() < end) {
    int n = ::epoll_wait(epoll_fd, ready, 64, 1000);
    for (int k = 0; k < n; ++k) {
      Entity& e = entities[ready[k].data.u64 / 2];
      if (ready[k].data.u64 % 2 == 0) {
        e.events.fill();
        while (e.events.next(status, body)) {
          if (status != 200) die("POST answered " + std::to_string(status) + ": " + body);
        }
        continue;
      }
      e.actions.fill();
      while (e.actions.next(status, body)) {
        if (status != 200) die((e.deleting ? "DELETE" : "GET") + std::string(" answered ") +
                               std::to_string(status) + ": " + body);
        if (!e.deleting) {
          if (json_string(body, "event_uuid") != e.awaited_event) die("an action for another event: " + body);
          e.action_uuid = json_string(body, "uuid");
          e.deleting = true;
          e.actions.send_all("DELETE /api/v3/actions/" + e.name + "/" + e.action_uuid +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        } else {
          e.deleting = false;
          ++e.completed;
          ++total;
          e.get_action();
          e.post_event();
        }
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto microseconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
  const double cpu = microseconds(usage.ru_utime) + microseconds(usage.ru_stime) - cpu_at_start;
  const auto switches = static_cast<double>(usage.ru_nvcsw + usage.ru_nivcsw - usage_at_start.ru_nvcsw -
                                            usage_at_start.ru_nivcsw);
  const double per_trip = total > 0 ? 1.0 / static_cast<double>(total) : 0.0;
  std::printf("%.0f %.1f %.2f\n", static_cast<double>(total) / elapsed, cpu * per_trip, switches * per_trip);
  return 0;
}
