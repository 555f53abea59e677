// SPDX-License-Identifier: Apache-2.0
#include "packet_naming.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>

#include <nmz/sdk/hash.hpp>

namespace nmz::plugins::ethernet {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// The canonical text of an address, as inet_ntop prints packet addresses.
std::optional<std::string> canonical_address(std::string_view text) {
  std::string copy(text);
  std::array<char, 16> raw{};
  std::array<char, INET6_ADDRSTRLEN> out{};
  int family = copy.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(family, copy.c_str(), raw.data()) != 1) return std::nullopt;
  if (inet_ntop(family, raw.data(), out.data(), out.size()) == nullptr) return std::nullopt;
  return std::string(out.data());
}

std::string bracketed(const Endpoint& endpoint) {
  bool v6 = endpoint.address.find(':') != std::string::npos;
  return v6 ? "[" + endpoint.address + "]" : endpoint.address;
}

}  // namespace

sdk::Result<PacketNaming> PacketNaming::create(const std::vector<std::string>& node_specs,
                                               std::uint16_t ephemeral_low) {
  PacketNaming naming;
  naming.ephemeral_low_ = ephemeral_low;
  for (const std::string& spec : node_specs) {
    auto bad = [&](std::string_view why) {
      return sdk::Status::invalid("flag -node: " + std::string(why) + " in \"" + spec +
                                  "\" (expected NAME=ADDR, NAME=ADDR:PORT, NAME=[IPV6]:PORT or NAME=:PORT)");
    };
    auto equals = spec.find('=');
    if (equals == std::string::npos || equals == 0) return bad("missing NAME=");
    Mapping mapping{spec.substr(0, equals), std::nullopt, std::nullopt};
    std::string_view where = std::string_view(spec).substr(equals + 1);
    std::string_view address = where;
    std::string_view port;
    if (!where.empty() && where.front() == '[') {
      auto close = where.find(']');
      if (close == std::string_view::npos) return bad("unclosed '['");
      address = where.substr(1, close - 1);
      std::string_view rest = where.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':') return bad("expected ':PORT' after ']'");
        port = rest.substr(1);
      }
    } else if (std::count(where.begin(), where.end(), ':') == 1) {
      auto colon = where.find(':');
      address = where.substr(0, colon);
      port = where.substr(colon + 1);
    }
    if (!address.empty()) {
      mapping.address = canonical_address(address);
      if (!mapping.address) return bad("\"" + std::string(address) + "\" is not an IPv4 or IPv6 address");
    }
    if (!port.empty() || (where.find(':') != std::string_view::npos && !mapping.address)) {
      mapping.port = parse_port(port);
      if (!mapping.port) return bad("\"" + std::string(port) + "\" is not a port (1-65535)");
    }
    if (!mapping.address && !mapping.port) return bad("no address or port");
    naming.mappings_.push_back(std::move(mapping));
  }
  return naming;
}

const std::string* PacketNaming::node_of(const Endpoint& endpoint) const {
  const std::string* by_address = nullptr;
  const std::string* by_port = nullptr;
  for (const Mapping& m : mappings_) {
    bool address_matches = m.address && *m.address == endpoint.address;
    bool port_matches = m.port && *m.port == endpoint.port;
    if (address_matches && port_matches) return &m.name;
    if (address_matches && !m.port && by_address == nullptr) by_address = &m.name;
    if (port_matches && !m.address && by_port == nullptr) by_port = &m.name;
  }
  return by_address != nullptr ? by_address : by_port;
}

std::string PacketNaming::entity(const IpPacket& packet, const Endpoint& endpoint,
                                 const std::optional<std::string>& process_node) const {
  if (packet.transport == Transport::other) return std::string(kUnknownEntity);
  if (const std::string* node = node_of(endpoint)) return *node;
  if (process_node) return *process_node;
  return "entity-" + bracketed(endpoint) + ":" + std::to_string(endpoint.port);
}

std::string PacketNaming::hint_endpoint(const Endpoint& endpoint,
                                        const std::optional<std::string>& process_node) const {
  if (const std::string* node = node_of(endpoint)) return *node;
  if (process_node) return *process_node;
  std::string port = endpoint.port >= ephemeral_low_ ? "*" : std::to_string(endpoint.port);
  return bracketed(endpoint) + ":" + port;
}

std::string PacketNaming::hint_flow(const IpPacket& packet, const std::optional<std::string>& src_process,
                                    const std::optional<std::string>& dst_process) const {
  switch (packet.transport) {
    case Transport::tcp:
      return "tcp " + hint_endpoint(packet.src, src_process) + ">" + hint_endpoint(packet.dst, dst_process);
    case Transport::udp:
      return "udp " + hint_endpoint(packet.src, src_process) + ">" + hint_endpoint(packet.dst, dst_process);
    case Transport::other:
      break;
  }
  return "ip" + std::to_string(packet.protocol) + " " + bracketed(packet.src) + ">" + bracketed(packet.dst);
}

std::string PacketNaming::replay_hint(std::string_view hint_flow, const IpPacket& packet) {
  std::string hint;
  hint.reserve(hint_flow.size() + 32);
  hint += hint_flow;
  if (packet.transport == Transport::other) return hint;
  if (packet.transport == Transport::tcp) {
    hint += ' ';
    if ((packet.tcp_flags & tcp_flag::syn) != 0) hint += 'S';
    if ((packet.tcp_flags & tcp_flag::fin) != 0) hint += 'F';
    if ((packet.tcp_flags & tcp_flag::rst) != 0) hint += 'R';
    if ((packet.tcp_flags & (tcp_flag::syn | tcp_flag::fin | tcp_flag::rst)) == 0) hint += '-';
  }
  // The head of the payload (where protocols put their message type and
  // ids) and its length: hashing all of a 64 KiB GSO packet byte by byte
  // cost more than the rest of the packet's handling.
  std::array<char, 24> length{};
  auto end = std::to_chars(length.data(), length.data() + length.size(), packet.l4_payload.size()).ptr;
  hint += ' ';
  hint.append(length.data(), end);
  hint += ' ';
  std::uint64_t hash = sdk::fnv1a64(packet.l4_payload.substr(0, kHintedPayloadBytes));
  std::array<char, 16> digest{};
  for (int i = 15; i >= 0; --i, hash >>= 4) digest[static_cast<std::size_t>(i)] = "0123456789abcdef"[hash & 0xf];
  hint.append(digest.data(), digest.size());
  return hint;
}

std::string PacketNaming::replay_hint(const IpPacket& packet) const { return replay_hint(hint_flow(packet), packet); }

std::uint16_t read_ephemeral_port_low() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0;
  if (in >> low && low > 0 && low <= 65535) return static_cast<std::uint16_t>(low);
  return 32768;
}

}  // namespace nmz::plugins::ethernet
