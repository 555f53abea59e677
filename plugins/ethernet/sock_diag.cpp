// SPDX-License-Identifier: Apache-2.0
#include "sock_diag.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace nmz::plugins::ethernet {
namespace {

struct RawAddress {
  int family = AF_INET;
  std::array<std::uint32_t, 4> words{};  // inet_diag_sockid's layout: network byte order
};

std::optional<RawAddress> raw_address(const std::string& text) {
  RawAddress out;
  if (inet_pton(AF_INET, text.c_str(), out.words.data()) == 1) return out;
  out.family = AF_INET6;
  if (inet_pton(AF_INET6, text.c_str(), out.words.data()) == 1) return out;
  return std::nullopt;
}

std::uint8_t protocol_of(Transport transport) { return transport == Transport::udp ? IPPROTO_UDP : IPPROTO_TCP; }

std::string request(Transport transport, int family, std::uint32_t states, std::uint16_t flags,
                    const inet_diag_sockid& id, std::uint32_t sequence) {
  nlmsghdr header{};
  header.nlmsg_len = NLMSG_LENGTH(sizeof(inet_diag_req_v2));
  header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  header.nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  header.nlmsg_seq = sequence;
  inet_diag_req_v2 body{};
  body.sdiag_family = static_cast<std::uint8_t>(family);
  body.sdiag_protocol = protocol_of(transport);
  body.idiag_states = states;
  body.id = id;
  std::string out(header.nlmsg_len, '\0');
  std::memcpy(out.data(), &header, sizeof header);
  std::memcpy(out.data() + NLMSG_HDRLEN, &body, sizeof body);
  return out;
}

Endpoint endpoint_of(int family, const std::uint32_t (&words)[4], std::uint16_t network_port) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const auto* bytes = reinterpret_cast<const unsigned char*>(words);
  // A dual-stack socket's IPv4 peer ("::ffff:127.0.0.1") as packets show it.
  constexpr std::array<unsigned char, 12> v4_mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family == AF_INET6 && std::equal(v4_mapped.begin(), v4_mapped.end(), bytes)) {
    family = AF_INET;
    bytes += v4_mapped.size();
  }
  inet_ntop(family, bytes, text.data(), text.size());
  return Endpoint{text.data(), ntohs(network_port)};
}

void finish(SocketReplies& replies, int error) {
  replies.finished = true;
  replies.error = error;
}

}  // namespace

std::optional<std::string> socket_lookup_request(Transport transport, const Endpoint& local,
                                                 const std::optional<Endpoint>& remote, std::uint32_t sequence) {
  auto local_address = raw_address(local.address);
  if (!local_address) return std::nullopt;
  RawAddress remote_address{local_address->family, {}};  // the unspecified address: no peer
  if (remote) {
    auto address = raw_address(remote->address);
    if (!address || address->family != local_address->family) return std::nullopt;
    remote_address = *address;
  }
  inet_diag_sockid id{};
  // The kernel's UDP lookup takes idiag_src as the packet's source, the
  // peer ("swapped for historical reasons", udp_diag.c); TCP's takes it as
  // the socket's own address.
  const bool peer_first = transport == Transport::udp;
  const RawAddress& src = peer_first ? remote_address : *local_address;
  const RawAddress& dst = peer_first ? *local_address : remote_address;
  const std::uint16_t remote_port = remote ? remote->port : 0;
  id.idiag_sport = htons(peer_first ? remote_port : local.port);
  id.idiag_dport = htons(peer_first ? local.port : remote_port);
  std::memcpy(id.idiag_src, src.words.data(), sizeof id.idiag_src);
  std::memcpy(id.idiag_dst, dst.words.data(), sizeof id.idiag_dst);
  id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  return request(transport, local_address->family, ~0u, 0, id, sequence);
}

std::string socket_dump_request(Transport transport, int family, std::uint32_t states, std::uint32_t sequence) {
  inet_diag_sockid id{};
  id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  return request(transport, family, states, NLM_F_DUMP, id, sequence);
}

void parse_socket_replies(std::string_view datagram, Transport transport, std::uint32_t sequence,
                          SocketReplies& replies) {
  while (!replies.finished && !datagram.empty()) {
    nlmsghdr header{};
    if (datagram.size() < sizeof header) return finish(replies, EBADMSG);
    std::memcpy(&header, datagram.data(), sizeof header);
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > datagram.size()) return finish(replies, EBADMSG);
    std::string_view body = datagram.substr(NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
    datagram.remove_prefix(std::min<std::size_t>(NLMSG_ALIGN(header.nlmsg_len), datagram.size()));
    if (header.nlmsg_seq != sequence) continue;
    if (header.nlmsg_type == NLMSG_DONE) {
      finish(replies, 0);
    } else if (header.nlmsg_type == NLMSG_ERROR) {
      int error = 0;
      if (body.size() < sizeof error) return finish(replies, EBADMSG);
      std::memcpy(&error, body.data(), sizeof error);
      finish(replies, -error);
    } else if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      inet_diag_msg message{};
      if (body.size() < sizeof message) return finish(replies, EBADMSG);
      std::memcpy(&message, body.data(), sizeof message);
      if (message.idiag_family == AF_INET || message.idiag_family == AF_INET6) {
        replies.sockets.push_back({transport, endpoint_of(message.idiag_family, message.id.idiag_src, message.id.idiag_sport),
                                   endpoint_of(message.idiag_family, message.id.idiag_dst, message.id.idiag_dport),
                                   message.idiag_state, message.idiag_inode});
      }
      // A lookup's answer is one message; a dump's are NLM_F_MULTI parts up to NLMSG_DONE.
      if ((header.nlmsg_flags & NLM_F_MULTI) == 0) finish(replies, 0);
    }
  }
}

sdk::Result<SockDiag> SockDiag::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              std::string("socket diagnostics (NETLINK_SOCK_DIAG): ") + std::strerror(errno));
  }
  // The kernel answers at once; the timeout only keeps a kernel that never
  // does from stopping the receive loop.
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return SockDiag(fd);
}

SockDiag::SockDiag(SockDiag&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), sequence_(other.sequence_), buffer_(std::move(other.buffer_)) {}

SockDiag& SockDiag::operator=(SockDiag&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    sequence_ = other.sequence_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

SockDiag::~SockDiag() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<SocketRow> SockDiag::find(Transport transport, const Endpoint& local,
                                        const std::optional<Endpoint>& remote) {
  const std::uint32_t sequence = ++sequence_;
  auto request = socket_lookup_request(transport, local, remote, sequence);
  if (!request) return std::nullopt;
  SocketReplies replies = ask(*request, transport, sequence);
  if (replies.error != 0 || replies.sockets.empty()) return std::nullopt;
  return std::move(replies.sockets.front());
}

std::vector<SocketRow> SockDiag::dump(Transport transport, int family, std::uint32_t states) {
  const std::uint32_t sequence = ++sequence_;
  return ask(socket_dump_request(transport, family, states, sequence), transport, sequence).sockets;
}

SocketReplies SockDiag::ask(const std::string& request, Transport transport, std::uint32_t sequence) {
  SocketReplies replies;
  ssize_t sent = 0;
  do {
    sent = ::send(fd_, request.data(), request.size(), 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    finish(replies, errno);
    return replies;
  }
  // The kernel fills a dump's datagrams up to 32 KiB whatever the reader asks.
  buffer_.resize(64 * 1024);
  while (!replies.finished) {
    iovec part{buffer_.data(), buffer_.size()};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_, &message, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      finish(replies, n < 0 ? errno : EPIPE);
    } else if ((message.msg_flags & MSG_TRUNC) != 0) {
      finish(replies, EMSGSIZE);
    } else {
      parse_socket_replies(std::string_view(buffer_.data(), static_cast<std::size_t>(n)), transport, sequence, replies);
    }
  }
  return replies;
}

}  // namespace nmz::plugins::ethernet
