// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nmz::plugins::ethernet {

enum class Transport : std::uint8_t { tcp, udp, other };

// TCP flag bits as they appear in byte 13 of the header.
namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag

// One side of a flow: the address in text form ("10.0.0.1", "::1") and the
// port (0 for transports without ports).
struct Endpoint {
  std::string address;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// What the inspector needs to know about one IP packet. `l4_payload` views
// the packet it was parsed from.
struct IpPacket {
  int ip_version = 0;  // 4 or 6
  Transport transport = Transport::other;
  std::uint8_t protocol = 0;  // IP protocol number (IPv6: of the last header walked)
  Endpoint src;
  Endpoint dst;
  std::size_t l4_offset = 0;  // where the TCP/UDP header starts
  std::uint32_t tcp_seq = 0;
  std::uint32_t tcp_ack = 0;
  std::uint8_t tcp_flags = 0;
  std::uint16_t tcp_window = 0;
  std::string_view l4_payload;
};

// Parses an IPv4 or IPv6 packet (no link-layer header). TCP and UDP get
// their ports and payload; anything else (ICMP, fragments after the first,
// truncated headers) comes back with Transport::other and addresses only.
// Nothing at all when not even the IP header is readable.
std::optional<IpPacket> parse_ip_packet(std::string_view packet);

// Recomputes the IPv4 header checksum and the TCP/UDP checksum of `packet`
// in place. Packets taken from NFQUEUE on the sending side may carry a
// partial checksum that the NIC would have completed; a copy injected
// through a raw socket must be complete or the receiver discards it.
void fix_checksums(std::string& packet);

}  // namespace nmz::plugins::ethernet
