// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ip_packet.hpp"
#include "packet_naming.hpp"

namespace nmz::plugins::ethernet {

// What every packet of one TCP or UDP flow has in common: its entities, the
// start of its replay hint and its retransmission-filter key. Formatting
// these (addresses, ports, node lookups) was a good part of a packet's
// handling; a flow has many packets.
struct FlowNames {
  std::string src_entity;
  std::string dst_entity;
  std::string hint_flow;
  std::string flow_key;
};

// Remembers the FlowNames of recent flows. Not thread-safe: one receive
// loop owns it.
class FlowNameCache {
 public:
  explicit FlowNameCache(const PacketNaming& naming) : naming_(naming) {}

  // `packet` must be TCP or UDP. The reference is valid until the next call.
  const FlowNames& names(const IpPacket& packet);
  [[nodiscard]] std::size_t size() const noexcept { return flows_.size(); }

  // Past this many flows the cache starts over: a scan over many ports
  // must not grow it without bound.
  static constexpr std::size_t kMaxFlows = 4096;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  };

  const PacketNaming& naming_;
  std::string key_;  // reused: the lookup allocates nothing for a known flow
  std::unordered_map<std::string, FlowNames, Hash, std::equal_to<>> flows_;
};

}  // namespace nmz::plugins::ethernet
