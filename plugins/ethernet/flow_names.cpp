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
  auto src_process = process_node(packet, packet.src, packet.dst);
  auto dst_process = process_node(packet, packet.dst, packet.src);
  FlowNames names{naming_.entity(packet, packet.src, src_process), naming_.entity(packet, packet.dst, dst_process),
                  naming_.hint_flow(packet, src_process, dst_process),
                  packet.transport == Transport::tcp ? TcpRetransmissionFilter::flow_key(packet) : std::string()};
  return flows_.emplace(key_, std::move(names)).first->second;
}

std::optional<std::string> FlowNameCache::process_node(const IpPacket& packet, const Endpoint& local,
                                                       const Endpoint& remote) const {
  if (!process_nodes_ || packet.src.address != packet.dst.address || naming_.named_by_user(local)) return std::nullopt;
  return process_nodes_(packet.transport, local, remote);
}

}  // namespace nmz::plugins::ethernet
