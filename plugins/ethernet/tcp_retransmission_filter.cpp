// SPDX-License-Identifier: Apache-2.0
#include "tcp_retransmission_filter.hpp"

namespace nmz::plugins::ethernet {
namespace {

constexpr std::uint8_t kComparedFlags =
    tcp_flag::fin | tcp_flag::syn | tcp_flag::rst | tcp_flag::psh | tcp_flag::ack;

}  // namespace

std::string TcpRetransmissionFilter::flow_key(const IpPacket& packet) {
  // Brackets keep IPv6 addresses (which contain ':') unambiguous.
  return "[" + packet.src.address + "]:" + std::to_string(packet.src.port) + ">[" + packet.dst.address +
         "]:" + std::to_string(packet.dst.port);
}

bool TcpRetransmissionFilter::is_retransmission(const std::string& flow, const IpPacket& packet) {
  std::lock_guard lock(mutex_);
  auto it = last_.find(flow);
  if (it == last_.end()) return false;
  const Last& last = it->second;
  return last.held && last.seq == packet.tcp_seq && last.ack == packet.tcp_ack &&
         last.flags == (packet.tcp_flags & kComparedFlags) && last.window == packet.tcp_window &&
         last.payload_length == packet.l4_payload.size();
}

void TcpRetransmissionFilter::hold(const std::string& flow, const IpPacket& packet, std::uint64_t token) {
  std::lock_guard lock(mutex_);
  if ((packet.tcp_flags & tcp_flag::rst) != 0) {
    last_.erase(flow);
    return;
  }
  if (last_.size() >= kMaxFlows) std::erase_if(last_, [](const auto& entry) { return !entry.second.held; });
  last_[flow] = Last{packet.tcp_seq, packet.tcp_ack, static_cast<std::uint8_t>(packet.tcp_flags & kComparedFlags),
                    packet.tcp_window, packet.l4_payload.size(), token, true};
}

void TcpRetransmissionFilter::release(const std::string& flow, std::uint64_t token) {
  std::lock_guard lock(mutex_);
  auto it = last_.find(flow);
  if (it != last_.end() && it->second.token == token) it->second.held = false;
}

std::size_t TcpRetransmissionFilter::flows() const {
  std::lock_guard lock(mutex_);
  return last_.size();
}

}  // namespace nmz::plugins::ethernet
