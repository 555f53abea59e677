// SPDX-License-Identifier: Apache-2.0
#include "flow_names.hpp"

#include "tcp_retransmission_filter.hpp"

namespace nmz::plugins::ethernet {

const FlowNames& FlowNameCache::names(const IpPacket& packet) {
  key_.clear();
  key_ += static_cast<char>(packet.transport);
  key_ += packet.src.address;
  key_ += '\0';
  key_ += packet.dst.address;
  key_ += '\0';
  for (std::uint16_t port : {packet.src.port, packet.dst.port}) {
    key_ += static_cast<char>(port >> 8);
    key_ += static_cast<char>(port & 0xff);
  }
  if (auto it = flows_.find(std::string_view(key_)); it != flows_.end()) return it->second;
  if (flows_.size() >= kMaxFlows) flows_.clear();
  FlowNames names{naming_.entity(packet, packet.src), naming_.entity(packet, packet.dst), naming_.hint_flow(packet),
                  packet.transport == Transport::tcp ? TcpRetransmissionFilter::flow_key(packet) : std::string()};
  return flows_.emplace(key_, std::move(names)).first->second;
}

}  // namespace nmz::plugins::ethernet
