// SPDX-License-Identifier: Apache-2.0
#include "container/attach_stream.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>

#include "container/engine_client.hpp"

namespace nmz::core::container {
namespace {

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t written = ::write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

sdk::Status io_error(const std::string& what) {
  return sdk::Status::error(sdk::StatusCode::unavailable, "attach: " + what + ": " + std::strerror(errno));
}

// The body of an error answer (the engine's JSON message): up to its
// Content-Length, or until the engine closes the connection; bounded in
// size and time, as it only decorates the error.
std::string error_body(int fd, const std::string& headers, std::string body) {
  constexpr std::size_t kMaxBody = 64 * 1024;
  constexpr int kReadTimeoutMs = 2000;
  std::size_t wanted = kMaxBody;
  std::string lower = headers;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
    wanted = std::min(kMaxBody, static_cast<std::size_t>(std::strtoull(lower.c_str() + at + 17, nullptr, 10)));
  }
  std::array<char, 4096> buffer{};
  while (body.size() < wanted) {
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, kReadTimeoutMs) <= 0) break;
    ssize_t n = ::read(fd, buffer.data(), std::min(buffer.size(), wanted - body.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    body.append(buffer.data(), static_cast<std::size_t>(n));
  }
  body.resize(std::min(body.size(), wanted));
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body;
}

}  // namespace

sdk::Result<std::unique_ptr<AttachStream>> AttachStream::open(const std::string& socket_path, const std::string& id,
                                                              bool with_stdin, bool tty) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(address.sun_path)) return sdk::Status::invalid("socket path too long: " + socket_path);
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error("socket");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    auto status = io_error("connect to " + socket_path);
    ::close(fd);
    return status;
  }
  // httplib cannot hand over its socket after an Upgrade, so this one
  // request is written by hand.
  const std::string request = "POST " + std::string(kEngineApiPrefix) + "/containers/" + id +
                              "/attach?stream=1&stdout=1&stderr=1&stdin=" + (with_stdin ? "1" : "0") +
                              " HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\nConnection: Upgrade\r\n"
                              "Upgrade: tcp\r\n\r\n";
  if (!write_all(fd, request.data(), request.size())) {
    auto status = io_error("send request");
    ::close(fd);
    return status;
  }
  std::string received;
  std::array<char, 4096> buffer{};
  std::size_t header_end = std::string::npos;
  while (header_end == std::string::npos) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return sdk::Status::error(sdk::StatusCode::unavailable, "attach: the engine closed the connection");
    }
    received.append(buffer.data(), static_cast<std::size_t>(n));
    header_end = received.find("\r\n\r\n");
  }
  const std::string status_line = received.substr(0, received.find("\r\n"));
  if (status_line.find(" 101 ") == std::string::npos && status_line.find(" 200 ") == std::string::npos) {
    const std::string body = error_body(fd, received.substr(0, header_end), received.substr(header_end + 4));
    ::close(fd);
    int http_status = 0;
    std::sscanf(status_line.c_str(), "HTTP/%*s %d", &http_status);
    return sdk::Status::error(sdk::StatusCode::internal, "attach: the engine answered \"" + status_line +
                                                             "\": " + engine_error_message(http_status, body));
  }
  return std::unique_ptr<AttachStream>(new AttachStream(fd, received.substr(header_end + 4), with_stdin, tty));
}

AttachStream::AttachStream(int socket_fd, std::string leftover, bool with_stdin, bool tty)
    : socket_fd_(socket_fd), leftover_(std::move(leftover)), with_stdin_(with_stdin), tty_(tty) {
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) wake_pipe_[0] = wake_pipe_[1] = -1;
}

AttachStream::~AttachStream() {
  if (wake_pipe_[1] >= 0) write_all(wake_pipe_[1], "x", 1);
  if (input_thread_.joinable()) input_thread_.join();
  ::shutdown(socket_fd_, SHUT_RDWR);
  if (output_thread_.joinable()) output_thread_.join();
  ::close(socket_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void AttachStream::start() {
  output_thread_ = std::thread([this] { copy_output(); });
  if (with_stdin_) input_thread_ = std::thread([this] { copy_input(); });
}

bool AttachStream::wait_for_output_end(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return output_ended_changed_.wait_for(lock, timeout, [this] { return output_ended_; });
}

void AttachStream::copy_output() {
  copy_output_until_end();
  {
    std::lock_guard lock(mutex_);
    output_ended_ = true;
  }
  output_ended_changed_.notify_all();
}

void AttachStream::copy_output_until_end() {
  std::string pending = std::move(leftover_);
  std::array<char, 16384> buffer{};
  for (;;) {
    if (tty_) {
      // One raw stream: the terminal merges stdout and stderr.
      if (!pending.empty() && !write_all(STDOUT_FILENO, pending.data(), pending.size())) return;
      pending.clear();
    } else {
      // Frames: 1 byte stream (1 stdout, 2 stderr), 3 zero bytes, 4 bytes
      // big-endian length, payload.
      while (pending.size() >= 8) {
        const auto* header = reinterpret_cast<const unsigned char*>(pending.data());
        const std::size_t length = (std::size_t{header[4]} << 24) | (std::size_t{header[5]} << 16) |
                                   (std::size_t{header[6]} << 8) | std::size_t{header[7]};
        if (pending.size() < 8 + length) break;
        write_all(header[0] == 2 ? STDERR_FILENO : STDOUT_FILENO, pending.data() + 8, length);
        pending.erase(0, 8 + length);
      }
    }
    ssize_t n = ::read(socket_fd_, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    pending.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

void AttachStream::copy_input() {
  std::array<char, 4096> buffer{};
  for (;;) {
    std::array<pollfd, 2> fds{{{STDIN_FILENO, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // End of input: the container's stdin gets its EOF too.
      ::shutdown(socket_fd_, SHUT_WR);
      return;
    }
    if (!write_all(socket_fd_, buffer.data(), static_cast<std::size_t>(n))) return;
  }
}

}  // namespace nmz::core::container
