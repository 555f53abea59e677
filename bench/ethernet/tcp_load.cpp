// SPDX-License-Identifier: Apache-2.0
// TCP load for the ethernet bench:
//   tcp_load server PORT                 echo ('R') or sink ('B') per connection
//   tcp_load rr HOST PORT SECONDS CONNS  small request/response: msgs/s, p50, p99
//   tcp_load bulk HOST PORT SECONDS      one stream: MB/s
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMessageSize = 64;

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

bool read_full(int fd, char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = read(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_full(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

int connect_to(const char* host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) die("inet_pton");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void serve_connection(int fd) {
  char mode = 0;
  if (!read_full(fd, &mode, 1)) {
    close(fd);
    return;
  }
  if (mode == 'R') {
    char message[kMessageSize];
    while (read_full(fd, message, sizeof message) && write_full(fd, message, sizeof message)) {
    }
  } else {
    std::vector<char> buffer(1 << 16);
    while (read(fd, buffer.data(), buffer.size()) > 0) {
    }
  }
  close(fd);
}

int server(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
  if (listen(fd, 64) != 0) die("listen");
  for (;;) {
    int client = accept(fd, nullptr, nullptr);
    if (client < 0) continue;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(serve_connection, client).detach();
  }
}

int request_response(const char* host, int port, double seconds, int connections) {
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  std::vector<std::thread> threads;
  auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      int fd = connect_to(host, port);
      char mode = 'R';
      write_full(fd, &mode, 1);
      char message[kMessageSize] = {};
      auto& mine = latencies[static_cast<std::size_t>(c)];
      while (Clock::now() < end) {
        auto start = Clock::now();
        if (!write_full(fd, message, sizeof message) || !read_full(fd, message, sizeof message)) die("echo");
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      }
      close(fd);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  if (all.empty()) return 1;
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all[std::min(all.size() - 1, static_cast<std::size_t>(p * static_cast<double>(all.size())))]; };
  std::printf("%.0f %.1f %.1f\n", static_cast<double>(all.size()) / seconds, pct(0.50), pct(0.99));
  return 0;
}

// New connections one after another, each one request and its echo: what
// a packet of a new flow costs (nmz names a flow once, at its first
// packet). The client resets instead of closing, so that TIME_WAIT sockets
// neither pile up in the socket table nor use up the ephemeral ports.
int connections(const char* host, int port, double seconds) {
  std::vector<double> latencies;
  auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  char message[kMessageSize] = {};
  while (Clock::now() < end) {
    auto start = Clock::now();
    int fd = connect_to(host, port);
    char mode = 'R';
    if (!write_full(fd, &mode, 1) || !write_full(fd, message, sizeof message) ||
        !read_full(fd, message, sizeof message)) {
      die("echo");
    }
    linger reset{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  if (latencies.empty()) return 1;
  std::sort(latencies.begin(), latencies.end());
  std::printf("%.0f %.1f\n", static_cast<double>(latencies.size()) / seconds, latencies[latencies.size() / 2]);
  return 0;
}

int bulk(const char* host, int port, double seconds) {
  int fd = connect_to(host, port);
  char mode = 'B';
  write_full(fd, &mode, 1);
  std::vector<char> chunk(1 << 16, 'x');
  std::uint64_t total = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    if (!write_full(fd, chunk.data(), chunk.size())) die("write");
    total += chunk.size();
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  close(fd);
  std::printf("%.1f\n", static_cast<double>(total) / elapsed / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "server" && argc == 3) return server(std::atoi(argv[2]));
  if (mode == "rr" && argc == 6) return request_response(argv[2], std::atoi(argv[3]), std::atof(argv[4]), std::atoi(argv[5]));
  if (mode == "bulk" && argc == 5) return bulk(argv[2], std::atoi(argv[3]), std::atof(argv[4]));
  if (mode == "connect" && argc == 5) return connections(argv[2], std::atoi(argv[3]), std::atof(argv[4]));
  std::fprintf(stderr,
               "usage: tcp_load server PORT | rr HOST PORT SECONDS CONNS | bulk HOST PORT SECONDS | "
               "connect HOST PORT SECONDS\n");
  return 2;
}
