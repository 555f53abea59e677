// SPDX-License-Identifier: Apache-2.0
// The least a server can do for Namazu's one-event exchange over TCP: one
// epoll thread that answers a POSTed event's parked GET with a canned action
// naming that event, and every POST and DELETE with an empty 200. No policy,
// no JSON parsing, no limits. bench/rest runs namazu_wire_client against it
// in the same run as against nmz: what the kernel's loopback TCP and the
// client cost on this machine right now, i.e. the ceiling any server could
// reach here, which nmz's number is read against.
//
// Usage: wire_floor_server   (prints its port, then serves until killed)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

constexpr std::string_view kEmptyOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
};

struct Entity {
  Connection* parked = nullptr;  // a GET waiting for the next event
  std::string event_uuid;        // an event whose action was not fetched yet
};

void append_action(std::string& out, std::string_view event_uuid) {
  std::string body = "{\"event_uuid\":\"" + std::string(event_uuid) + "\",\"uuid\":\"a-" + std::string(event_uuid) + "\"}";
  out += "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void flush(Connection& c) {
  if (c.out.empty()) return;
  (void)!::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
  c.out.clear();
}

// The path's segments after /api/v3/: KIND, ENTITY[, ID].
void split(std::string_view path, std::string_view& kind, std::string_view& entity, std::string_view& id) {
  path.remove_prefix(std::string_view("/api/v3/").size());
  kind = path.substr(0, path.find('/'));
  path.remove_prefix(kind.size() + 1);
  entity = path.substr(0, path.find('/'));
  id = entity.size() < path.size() ? path.substr(entity.size() + 1) : std::string_view();
}

}  // namespace

int main() {
  int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd, 128) != 0 ||
      ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("wire_floor_server: listen");
    return 1;
  }
  std::printf("%d\n", ntohs(address.sin_port));
  std::fflush(stdout);
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = nullptr;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &event);
  std::unordered_map<std::string, Entity> entities;
  epoll_event ready[64];
  char buffer[16384];
  for (;;) {
    int n = ::epoll_wait(epoll_fd, ready, 64, -1);
    for (int k = 0; k < n; ++k) {
      if (ready[k].data.ptr == nullptr) {
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        epoll_event added{};
        added.events = EPOLLIN;
        added.data.ptr = new Connection{fd, {}, {}};
        ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &added);
        continue;
      }
      auto& c = *static_cast<Connection*>(ready[k].data.ptr);
      ssize_t got = ::recv(c.fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (got <= 0) {
        ::close(c.fd);
        for (auto& [name, entity] : entities) {
          if (entity.parked == &c) entity.parked = nullptr;
        }
        delete &c;
        continue;
      }
      c.in.append(buffer, static_cast<std::size_t>(got));
      for (;;) {
        std::size_t head_end = c.in.find("\r\n\r\n");
        if (head_end == std::string::npos) break;
        std::size_t body_length = 0;
        if (std::size_t at = c.in.find("Content-Length: "); at != std::string::npos && at < head_end) {
          body_length = std::strtoul(c.in.c_str() + at + 16, nullptr, 10);
        }
        if (c.in.size() < head_end + 4 + body_length) break;
        std::string_view head(c.in.data(), head_end);
        std::string_view method = head.substr(0, head.find(' '));
        std::string_view path = head.substr(method.size() + 1);
        path = path.substr(0, path.find(' '));
        std::string_view kind, name, id;
        split(path, kind, name, id);
        Entity& entity = entities[std::string(name)];
        if (method == "POST") {
          c.out += kEmptyOk;
          if (entity.parked != nullptr) {
            append_action(entity.parked->out, id);
            flush(*entity.parked);
            entity.parked = nullptr;
          } else {
            entity.event_uuid = id;
          }
        } else if (method == "GET" && !entity.event_uuid.empty()) {
          append_action(c.out, entity.event_uuid);
        } else if (method == "GET") {
          entity.parked = &c;
        } else {
          entity.event_uuid.clear();  // DELETE
          c.out += kEmptyOk;
        }
        c.in.erase(0, head_end + 4 + body_length);
      }
      flush(c);
    }
  }
}
