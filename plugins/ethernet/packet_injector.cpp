// SPDX-License-Identifier: Apache-2.0
#include "packet_injector.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ip_packet.hpp"

namespace nmz::plugins::ethernet {
namespace {

sdk::Result<int> open_raw(int family) {
  int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) {
    return sdk::Status::error(errno == EPERM ? sdk::StatusCode::permission_denied : sdk::StatusCode::unavailable,
                              std::string("raw socket for duplicates: ") + std::strerror(errno) + " (needs CAP_NET_RAW)");
  }
  std::uint32_t mark = kInjectedMark;
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    int error = errno;
    close(fd);
    return sdk::Status::error(sdk::StatusCode::permission_denied,
                              std::string("SO_MARK on the raw socket: ") + std::strerror(error));
  }
  return fd;
}

}  // namespace

PacketInjector::~PacketInjector() {
  if (v4_ >= 0) close(v4_);
  if (v6_ >= 0) close(v6_);
}

sdk::Status PacketInjector::open() {
  auto v4 = open_raw(AF_INET);
  if (!v4) return v4.status();
  v4_ = *v4;
  auto v6 = open_raw(AF_INET6);
  if (!v6) return v6.status();
  v6_ = *v6;
  return sdk::Status::ok();
}

sdk::Status PacketInjector::inject(std::string ip_packet) const {
  fix_checksums(ip_packet);
  auto parsed = parse_ip_packet(ip_packet);
  if (!parsed) return sdk::Status::invalid("not an IP packet");
  ssize_t sent = -1;
  if (parsed->ip_version == 4) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, ip_packet.data() + 16, 4);
    sent = sendto(v4_, ip_packet.data(), ip_packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  } else {
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, ip_packet.data() + 24, 16);
    sent = sendto(v6_, ip_packet.data(), ip_packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  if (sent < 0) return sdk::Status::error(sdk::StatusCode::unavailable, std::string("sendto: ") + std::strerror(errno));
  return sdk::Status::ok();
}

}  // namespace nmz::plugins::ethernet
