// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "ip_packet.hpp"
#include "socket_owners.hpp"

namespace nmz::plugins::ethernet {

// The kernel's socket diagnostics (NETLINK_SOCK_DIAG, inet_diag): asked for
// one 4-tuple, the kernel looks the socket up in its hash tables, where
// reading /proc/net/tcp walks every socket of the host (milliseconds).

// The request for the socket that owns `local`'s side of its conversation
// with `remote`: the connected socket of the 4-tuple, else the one
// listening on (TCP) or bound to (UDP) `local`'s port, as the kernel would
// deliver a packet from `remote` to it. Without `remote`, only the listening
// or bound one. Nothing when an address is not an IP address, or the two
// are of different families.
std::optional<std::string> socket_lookup_request(Transport transport, const Endpoint& local,
                                                 const std::optional<Endpoint>& remote, std::uint32_t sequence);

// The request for every `transport` socket of `family` (AF_INET, AF_INET6)
// in one of `states` (bits 1 << TCP_*; UDP sockets are TCP_CLOSE when
// unconnected, TCP_ESTABLISHED when connected).
std::string socket_dump_request(Transport transport, int family, std::uint32_t states, std::uint32_t sequence);

// The replies to one request, as they arrive (a dump takes several
// datagrams).
struct SocketReplies {
  std::vector<SocketRow> sockets;
  bool finished = false;  // the lookup's answer, the dump's end, or an error
  int error = 0;          // the errno of an error reply (ENOENT: no such socket)
};

// Adds the replies in `datagram` for request `sequence` to `replies`;
// replies to other requests (one given up on earlier) are skipped, and a
// malformed datagram finishes the request with EBADMSG. A dual-stack
// socket's IPv4 addresses ("::ffff:127.0.0.1") come out as packets carry
// them ("127.0.0.1").
void parse_socket_replies(std::string_view datagram, Transport transport, std::uint32_t sequence,
                          SocketReplies& replies);

// A NETLINK_SOCK_DIAG socket. It sees the sockets of the network namespace
// it was opened in: open it in the namespace of the traffic, as the
// inspector runs there.
class SockDiag {
 public:
  static sdk::Result<SockDiag> open();
  SockDiag(SockDiag&& other) noexcept;
  SockDiag& operator=(SockDiag&& other) noexcept;
  SockDiag(const SockDiag&) = delete;
  SockDiag& operator=(const SockDiag&) = delete;
  ~SockDiag();

  // socket_lookup_request's socket; nothing when there is none (or the
  // kernel did not answer).
  std::optional<SocketRow> find(Transport transport, const Endpoint& local, const std::optional<Endpoint>& remote);
  // socket_dump_request's sockets (those read before an error, if any).
  std::vector<SocketRow> dump(Transport transport, int family, std::uint32_t states);

 private:
  explicit SockDiag(int fd) : fd_(fd) {}
  SocketReplies ask(const std::string& request, Transport transport, std::uint32_t sequence);

  int fd_ = -1;
  std::uint32_t sequence_ = 0;
  std::string buffer_;
};

}  // namespace nmz::plugins::ethernet
