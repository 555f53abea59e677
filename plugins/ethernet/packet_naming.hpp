// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "ip_packet.hpp"

namespace nmz::plugins::ethernet {

inline constexpr std::size_t kHintedPayloadBytes = 256;

// Namazu's entity for packets it could not attribute to a TCP/UDP endpoint.
inline constexpr std::string_view kUnknownEntity = "_namazu_unknown_entity";

// Names the endpoints of packets: the node names the user mapped with
// `-node NAME=ADDR`, `NAME=ADDR:PORT`, `NAME=[V6ADDR]:PORT` or `NAME=:PORT`
// (lookup order: address and port, then address, then port), else the
// name of the process that owns the endpoint when the caller knows it
// (ProcessNamer), else Namazu's `entity-<ip>:<port>`
// (`entity-[<ipv6>]:<port>`).
class PacketNaming {
 public:
  // `ephemeral_low`: ports from here up are the kernel's ephemeral ones
  // (ip_local_port_range); they change from run to run, so replay hints
  // write them as '*'.
  static sdk::Result<PacketNaming> create(const std::vector<std::string>& node_specs, std::uint16_t ephemeral_low);

  [[nodiscard]] std::string entity(const IpPacket& packet, const Endpoint& endpoint,
                                   const std::optional<std::string>& process_node = std::nullopt) const;
  // Whether a -node mapping names `endpoint` (then its process is not asked).
  [[nodiscard]] bool named_by_user(const Endpoint& endpoint) const { return node_of(endpoint) != nullptr; }
  // Stable across runs: transport, both endpoints (node names, or addresses
  // with fixed ports), the TCP SYN/FIN/RST bits, the L4 payload's length
  // and a digest of its first kHintedPayloadBytes. No sequence numbers,
  // ephemeral ports or times.
  [[nodiscard]] std::string replay_hint(const IpPacket& packet) const;
  // replay_hint in two parts: what all packets of a flow share ("tcp
  // A:p>B:q", cacheable per flow), and the whole hint from that part.
  [[nodiscard]] std::string hint_flow(const IpPacket& packet,
                                      const std::optional<std::string>& src_process = std::nullopt,
                                      const std::optional<std::string>& dst_process = std::nullopt) const;
  static std::string replay_hint(std::string_view hint_flow, const IpPacket& packet);

 private:
  struct Mapping {
    std::string name;
    std::optional<std::string> address;
    std::optional<std::uint16_t> port;
  };
  [[nodiscard]] const std::string* node_of(const Endpoint& endpoint) const;
  [[nodiscard]] std::string hint_endpoint(const Endpoint& endpoint, const std::optional<std::string>& process_node) const;

  std::vector<Mapping> mappings_;
  std::uint16_t ephemeral_low_ = 32768;
};

// The lower bound of /proc/sys/net/ipv4/ip_local_port_range (32768 when
// unreadable, the kernel default).
std::uint16_t read_ephemeral_port_low();

}  // namespace nmz::plugins::ethernet
