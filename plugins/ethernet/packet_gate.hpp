// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/signal.hpp>

#include "flow_names.hpp"
#include "packet_injector.hpp"
#include "packet_naming.hpp"
#include "tcp_retransmission_filter.hpp"
#include "verdict_port.hpp"

namespace nmz::plugins::ethernet {

// Most copies one EventAcceptanceAction may ask for with "duplicate".
inline constexpr std::int64_t kMaxDuplicates = 16;

// Turns intercepted packets into deferred PacketEvents and the actions that
// answer them into verdicts. Packets are held in the kernel (or in
// hookswitch) while their event is pending; nothing here blocks the
// receive loop: verdicts are sent from on_action's thread.
class PacketGate {
 public:
  struct Counters {
    std::uint64_t events = 0;
    std::uint64_t retransmissions_dropped = 0;
    std::uint64_t accepted = 0;
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t released_at_stop = 0;
  };

  // Events carry at most `payload_bytes` of each frame (the verdict and
  // duplicates always use the whole packet).
  // `process_nodes` (may be empty) names endpoints that share an address
  // after their processes (FlowNameCache).
  PacketGate(const PacketNaming& naming, const PacketInjector* injector, std::size_t payload_bytes,
             ProcessNodeLookup process_nodes = {})
      : naming_(naming),
        injector_(injector),
        payload_bytes_(payload_bytes),
        flow_names_(naming, std::move(process_nodes)) {}

  // Starts a session: packets go to `host` as events, verdicts to `port`.
  void open(sdk::InspectorHost& host, VerdictPort& port);
  // Thread: the receive loop. `frame` is what the event carries (for NFQ a
  // dummy Ethernet header followed by the IP packet) and the IP packet
  // starts at `ip_offset` (npos when the frame is not IP).
  void on_packet(std::uint32_t packet_id, std::string frame, std::size_t ip_offset);
  // Thread: the host's delivery thread.
  void on_action(const sdk::Action& action);
  // Accepts every packet still held, waits for answers in progress (the
  // verdict port may go away after this) and ignores later actions.
  // Returns how many were released.
  std::size_t close();
  [[nodiscard]] std::size_t held() const;
  [[nodiscard]] Counters counters() const;

 private:
  struct Held {
    std::uint32_t packet_id;
    std::uint64_t token;
    std::string flow;  // non-empty for TCP: the retransmission filter's key
    std::string frame;  // kept for duplicates
    std::size_t ip_offset;
  };
  // Releases the filter's hold and sends the verdict, then the duplicates;
  // returns how many of those went out.
  std::uint64_t send(Held& held, Verdict verdict, std::int64_t duplicates);
  // Call with mutex_ held.
  void count_answer(Verdict verdict, std::uint64_t injected);
  void answer(Held& held, Verdict verdict, std::int64_t duplicates);
  // answer() for a packet on_action took out of held_.
  void answer_action(Held& held, Verdict verdict, std::int64_t duplicates);

  const PacketNaming& naming_;
  const PacketInjector* injector_;
  std::size_t payload_bytes_;
  FlowNameCache flow_names_;  // the receive loop's only
  TcpRetransmissionFilter filter_;
  sdk::InspectorHost* host_ = nullptr;
  VerdictPort* port_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable answered_;
  bool open_ = false;
  int answering_ = 0;  // actions taken out of held_ and not yet answered
  std::unordered_map<std::string, Held> held_;
  std::uint64_t next_token_ = 0;
  Counters counters_;
};

}  // namespace nmz::plugins::ethernet
