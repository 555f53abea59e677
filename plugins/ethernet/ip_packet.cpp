// SPDX-License-Identifier: Apache-2.0
#include "ip_packet.hpp"

#include <arpa/inet.h>

#include <array>

namespace nmz::plugins::ethernet {
namespace {

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;

std::uint8_t byte_at(std::string_view data, std::size_t i) { return static_cast<std::uint8_t>(data[i]); }

std::uint16_t be16(std::string_view data, std::size_t i) {
  return static_cast<std::uint16_t>(byte_at(data, i) << 8 | byte_at(data, i + 1));
}

std::uint32_t be32(std::string_view data, std::size_t i) {
  return static_cast<std::uint32_t>(be16(data, i)) << 16 | be16(data, i + 2);
}

std::string address_text(int family, const char* raw) {
  if (family == AF_INET) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, a visible share
    // of the per-packet cost.
    std::string text;
    text.reserve(15);
    for (int i = 0; i < 4; ++i) {
      if (i > 0) text += '.';
      unsigned octet = static_cast<unsigned char>(raw[i]);
      if (octet >= 100) text += static_cast<char>('0' + octet / 100);
      if (octet >= 10) text += static_cast<char>('0' + octet / 10 % 10);
      text += static_cast<char>('0' + octet % 10);
    }
    return text;
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(family, raw, text.data(), text.size()) == nullptr) return "?";
  return text.data();
}

bool is_ipv6_extension(std::uint8_t next) {
  // hop-by-hop, routing, destination options: walkable with the generic
  // length rule. Fragments (44) are handled apart; ESP/AH are opaque.
  return next == 0 || next == 43 || next == 60;
}

void parse_transport(std::string_view packet, IpPacket& out) {
  std::string_view l4 = packet.substr(out.l4_offset);
  if (out.protocol == kProtoTcp && l4.size() >= 20) {
    std::size_t header = static_cast<std::size_t>(byte_at(l4, 12) >> 4) * 4;
    if (header < 20 || header > l4.size()) return;
    out.transport = Transport::tcp;
    out.src.port = be16(l4, 0);
    out.dst.port = be16(l4, 2);
    out.tcp_seq = be32(l4, 4);
    out.tcp_ack = be32(l4, 8);
    out.tcp_flags = byte_at(l4, 13);
    out.tcp_window = be16(l4, 14);
    out.l4_payload = l4.substr(header);
  } else if (out.protocol == kProtoUdp && l4.size() >= 8) {
    out.transport = Transport::udp;
    out.src.port = be16(l4, 0);
    out.dst.port = be16(l4, 2);
    out.l4_payload = l4.substr(8);
  }
}

std::optional<IpPacket> parse_ipv4(std::string_view packet) {
  if (packet.size() < 20) return std::nullopt;
  std::size_t header = static_cast<std::size_t>(byte_at(packet, 0) & 0x0f) * 4;
  if (header < 20 || header > packet.size()) return std::nullopt;
  IpPacket out;
  out.ip_version = 4;
  out.protocol = byte_at(packet, 9);
  out.src.address = address_text(AF_INET, packet.data() + 12);
  out.dst.address = address_text(AF_INET, packet.data() + 16);
  std::size_t total = be16(packet, 2);
  // GSO super-packets report 0 or a truncated total length: trust the buffer.
  if (total >= header && total < packet.size()) packet = packet.substr(0, total);
  bool later_fragment = (be16(packet, 6) & 0x1fff) != 0;
  out.l4_offset = header;
  if (!later_fragment) parse_transport(packet, out);
  return out;
}

std::optional<IpPacket> parse_ipv6(std::string_view packet) {
  if (packet.size() < 40) return std::nullopt;
  IpPacket out;
  out.ip_version = 6;
  out.src.address = address_text(AF_INET6, packet.data() + 8);
  out.dst.address = address_text(AF_INET6, packet.data() + 24);
  std::uint8_t next = byte_at(packet, 6);
  std::size_t offset = 40;
  bool later_fragment = false;
  while (offset + 8 <= packet.size()) {
    if (is_ipv6_extension(next)) {
      std::uint8_t following = byte_at(packet, offset);
      offset += (static_cast<std::size_t>(byte_at(packet, offset + 1)) + 1) * 8;
      next = following;
    } else if (next == 44) {
      later_fragment = (be16(packet, offset + 2) & 0xfff8) != 0;
      next = byte_at(packet, offset);
      offset += 8;
    } else {
      break;
    }
  }
  out.protocol = next;
  out.l4_offset = offset;
  if (!later_fragment && offset <= packet.size()) parse_transport(packet, out);
  return out;
}

// Ones' complement sum, folded, over `data` added to `sum`.
std::uint32_t checksum_add(std::uint32_t sum, std::string_view data) {
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += be16(data, i);
  if (data.size() % 2 != 0) sum += static_cast<std::uint32_t>(byte_at(data, data.size() - 1) << 8);
  return sum;
}

std::uint16_t checksum_finish(std::uint32_t sum) {
  while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

void store16(std::string& data, std::size_t i, std::uint16_t value) {
  data[i] = static_cast<char>(value >> 8);
  data[i + 1] = static_cast<char>(value & 0xff);
}

}  // namespace

std::optional<IpPacket> parse_ip_packet(std::string_view packet) {
  if (packet.empty()) return std::nullopt;
  switch (byte_at(packet, 0) >> 4) {
    case 4:
      return parse_ipv4(packet);
    case 6:
      return parse_ipv6(packet);
    default:
      return std::nullopt;
  }
}

void fix_checksums(std::string& packet) {
  auto parsed = parse_ip_packet(packet);
  if (!parsed) return;
  std::string_view view = packet;
  std::uint32_t pseudo = 0;
  std::size_t l4_length = packet.size() - parsed->l4_offset;
  if (parsed->ip_version == 4) {
    store16(packet, 10, 0);
    store16(packet, 10, checksum_finish(checksum_add(0, view.substr(0, parsed->l4_offset))));
    pseudo = checksum_add(pseudo, view.substr(12, 8));
  } else {
    pseudo = checksum_add(pseudo, view.substr(8, 32));
  }
  pseudo += parsed->protocol;
  pseudo += static_cast<std::uint32_t>(l4_length & 0xffff) + static_cast<std::uint32_t>(l4_length >> 16);
  std::size_t field = 0;
  if (parsed->transport == Transport::tcp) {
    field = parsed->l4_offset + 16;
  } else if (parsed->transport == Transport::udp) {
    field = parsed->l4_offset + 6;
  } else {
    return;
  }
  store16(packet, field, 0);
  std::uint16_t sum = checksum_finish(checksum_add(pseudo, std::string_view(packet).substr(parsed->l4_offset)));
  // UDP writes a computed zero as all ones (zero means "no checksum").
  if (parsed->transport == Transport::udp && sum == 0) sum = 0xffff;
  store16(packet, field, sum);
}

}  // namespace nmz::plugins::ethernet
