// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
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

// The node name of the process that owns `local`'s socket in its
// conversation with `remote` (ProcessNamer::name), nothing when unknown.
using ProcessNodeLookup =
    std::function<std::optional<std::string>(Transport transport, const Endpoint& local, const Endpoint& remote)>;

// Remembers the FlowNames of recent flows. Not thread-safe: one receive
// loop owns it.
class FlowNameCache {
 public:
  // With `process_nodes`, the endpoints of a flow whose two ends share an
  // address (processes on 127.0.0.1, or on one host address), which the
  // address cannot tell apart, are named after their processes; asked once
  // per new flow.
  explicit FlowNameCache(const PacketNaming& naming, ProcessNodeLookup process_nodes = {})
      : naming_(naming), process_nodes_(std::move(process_nodes)) {}

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

  [[nodiscard]] std::optional<std::string> process_node(const IpPacket& packet, const Endpoint& local,
                                                       const Endpoint& remote) const;

  const PacketNaming& naming_;
  ProcessNodeLookup process_nodes_;
  std::string key_;  // reused: the lookup allocates nothing for a known flow
  std::unordered_map<std::string, FlowNames, Hash, std::equal_to<>> flows_;
};

}  // namespace nmz::plugins::ethernet
