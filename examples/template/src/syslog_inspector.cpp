// SPDX-License-Identifier: Apache-2.0
// "syslog": listens on a UDP port on 127.0.0.1 and turns every received
// line into a LogEvent (Namazu's Python syslog inspector did the same).
//   nmz inspectors syslog -port 10514 [-source NAME]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include <nmz/sdk/flags.hpp>
#include <nmz/sdk/guard.hpp>

#include "components.hpp"

namespace {

class SyslogInspector final : public nmz::sdk::Inspector {
 public:
  ~SyslogInspector() override {
    if (socket_ >= 0) ::close(socket_);
  }

  nmz::sdk::Status configure(const nmz::sdk::ComponentContext&,
                             const nmz::sdk::InspectorSettings& settings) noexcept override {
    return nmz::sdk::guarded("nmz inspectors syslog: ", [&]() -> nmz::sdk::Status {
      nmz::sdk::FlagSet flags("nmz inspectors syslog");
      flags.add_int("port", &port_, "UDP port to listen on, on 127.0.0.1");
      flags.add_string("source", &source_, "src_entity of the LogEvents");
      if (auto status = flags.parse(settings.args); !status) return status;
      if (!flags.positionals().empty()) {
        return nmz::sdk::Status::invalid("nmz inspectors syslog: unexpected argument \"" + flags.positionals()[0] + "\"");
      }
      if (port_ <= 0 || port_ > 65535) {
        return nmz::sdk::Status::invalid("nmz inspectors syslog: flag -port: expected a port from 1 to 65535, got " +
                                         std::to_string(port_));
      }
      return nmz::sdk::Status::ok();
    });
  }

  Outcome run(nmz::sdk::InspectorHost& host) noexcept override {
    socket_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (socket_ < 0 || ::bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      return {nmz::sdk::Status::error(nmz::sdk::StatusCode::unavailable,
                                      "nmz inspectors syslog: cannot listen on 127.0.0.1:" + std::to_string(port_) +
                                          ": " + std::strerror(errno)),
              1};
    }
    host.logger().info("listening on udp 127.0.0.1:" + std::to_string(port_));
    char buffer[65536];
    while (!stop_requested_) {
      // A short poll instead of a blocking recv: request_stop() needs no
      // way to interrupt a system call.
      pollfd fd{socket_, POLLIN, 0};
      if (::poll(&fd, 1, 100) <= 0) continue;
      ssize_t n = ::recv(socket_, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      std::string_view text(buffer, static_cast<std::size_t>(n));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      if (auto status = host.submit(nmz::sdk::make_log_event(std::string(host.entity_id()), source_, text)); !status) {
        host.logger().warn("event not accepted: " + status.message());
      }
    }
    return {};
  }

  void request_stop() noexcept override { stop_requested_ = true; }

  // LogEvents are not deferred: nothing waits for their actions.
  void on_action(nmz::sdk::Action) noexcept override {}

 private:
  std::int64_t port_ = 0;
  std::string source_ = "syslog";
  int socket_ = -1;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace

std::unique_ptr<nmz::sdk::Inspector> make_syslog_inspector() noexcept {
  return nmz::sdk::make_inspector<SyslogInspector>();
}
