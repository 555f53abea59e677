// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ip_packet.hpp"

namespace nmz::plugins::ethernet {

// Namazu's TCP watcher, per 4-tuple (IPv6 included): while a segment is held
// by the policy the sender's kernel retransmits it; those copies are dropped
// without an event, so the policy sees the segment once and the held
// original stays the one that counts.
//
// Unlike Namazu, a repeat only counts as a retransmission while the original
// is still held: once the original was answered (a fault dropped it, or it
// was accepted and lost), the kernel's retransmission is a new event,
// otherwise one dropped segment would stall its connection for good.
//
// Thread-safe.
class TcpRetransmissionFilter {
 public:
  // Whether `packet` (a TCP segment) repeats the held segment of its
  // 4-tuple: same seq, ack, FIN/SYN/RST/PSH/ACK (Namazu's test), and also
  // the same payload length and window, so that a window update or a
  // duplicate ACK, which match on the first three, is not mistaken for one.
  // `flow` is flow_key(packet), computed once by the caller for all three calls.
  bool is_retransmission(const std::string& flow, const IpPacket& packet);
  // Records `packet` as the segment now held for its 4-tuple under `token`.
  // An RST forgets the 4-tuple instead (the connection is over).
  void hold(const std::string& flow, const IpPacket& packet, std::uint64_t token);
  // The segment held under `token` on `flow` (flow_key) was answered.
  void release(const std::string& flow, std::uint64_t token);
  static std::string flow_key(const IpPacket& packet);
  [[nodiscard]] std::size_t flows() const;

 private:
  struct Last {
    std::uint32_t seq;
    std::uint32_t ack;
    std::uint8_t flags;
    std::uint16_t window;
    std::size_t payload_length;
    std::uint64_t token;
    bool held;
  };
  // Past this many 4-tuples, those whose segment was answered are
  // forgotten (connections that ended with FIN leave theirs behind).
  static constexpr std::size_t kMaxFlows = 65536;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Last> last_;
};

}  // namespace nmz::plugins::ethernet
