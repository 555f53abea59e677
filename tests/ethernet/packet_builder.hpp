// SPDX-License-Identifier: Apache-2.0
#pragma once

// Crafted IPv4/IPv6 TCP/UDP packets for the ethernet tests.
#include <arpa/inet.h>

#include <cstdint>
#include <string>

namespace nmz::tests::ethernet {

inline void put16(std::string& s, std::size_t i, unsigned v) {
  s[i] = static_cast<char>(v >> 8);
  s[i + 1] = static_cast<char>(v & 0xff);
}
inline void put32(std::string& s, std::size_t i, std::uint32_t v) {
  put16(s, i, v >> 16);
  put16(s, i + 2, v & 0xffff);
}

struct Segment {
  std::uint16_t sport = 40000;
  std::uint16_t dport = 2181;
  std::uint32_t seq = 1000;
  std::uint32_t ack = 2000;
  std::uint8_t flags = 0x18;  // PSH | ACK
  std::uint16_t window = 512;
  std::string payload = "hello";
};

inline std::string l4_tcp(const Segment& s) {
  std::string tcp(20, '\0');
  put16(tcp, 0, s.sport);
  put16(tcp, 2, s.dport);
  put32(tcp, 4, s.seq);
  put32(tcp, 8, s.ack);
  tcp[12] = 0x50;
  tcp[13] = static_cast<char>(s.flags);
  put16(tcp, 14, s.window);
  return tcp + s.payload;
}

inline std::string l4_udp(std::uint16_t sport, std::uint16_t dport, const std::string& payload) {
  std::string u(8, '\0');
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, static_cast<unsigned>(8 + payload.size()));
  return u + payload;
}

inline std::string ipv4(const std::string& l4, std::uint8_t proto, const char* src = "10.0.0.1",
                        const char* dst = "10.0.0.2") {
  std::string ip(20, '\0');
  ip[0] = 0x45;
  put16(ip, 2, static_cast<unsigned>(20 + l4.size()));
  ip[8] = 64;
  ip[9] = static_cast<char>(proto);
  inet_pton(AF_INET, src, ip.data() + 12);
  inet_pton(AF_INET, dst, ip.data() + 16);
  return ip + l4;
}

inline std::string ipv6(const std::string& l4, std::uint8_t proto, const char* src = "fd00::1",
                        const char* dst = "fd00::2") {
  std::string ip(40, '\0');
  ip[0] = 0x60;
  put16(ip, 4, static_cast<unsigned>(l4.size()));
  ip[6] = static_cast<char>(proto);
  ip[7] = 64;
  inet_pton(AF_INET6, src, ip.data() + 8);
  inet_pton(AF_INET6, dst, ip.data() + 24);
  return ip + l4;
}

// An Ethernet frame around `ip` (ethertype from the IP version).
inline std::string ethernet(const std::string& ip) {
  std::string frame(12, '\x02');
  frame += (static_cast<unsigned char>(ip[0]) >> 4) == 6 ? std::string("\x86\xdd", 2) : std::string("\x08\x00", 2);
  return frame + ip;
}

}  // namespace nmz::tests::ethernet
