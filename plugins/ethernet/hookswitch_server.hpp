// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/status.hpp>

#include "verdict_port.hpp"

namespace nmz::plugins::ethernet {

// The controller side of Namazu's hookswitch protocol: binds a ZeroMQ PAIR
// socket; hookswitch connects and sends two-frame messages, JSON metadata
// ({"id": N, ...}) and an Ethernet frame; each gets one reply, the same
// metadata plus "op": "accept" or "drop", and an empty second frame.
//
// ZeroMQ sockets are single-threaded: verdicts from other threads are
// queued and sent by the receive loop.
class HookswitchServer final : public VerdictPort {
 public:
  // `packet_id` is nmz's own number for the frame (hookswitch ids are
  // arbitrary JSON numbers); `frame` is the Ethernet frame.
  using FrameHandler = std::function<void(std::uint32_t packet_id, std::string frame)>;

  static sdk::Result<std::unique_ptr<HookswitchServer>> bind(const std::string& address, sdk::Logger& logger);
  HookswitchServer(const HookswitchServer&) = delete;
  HookswitchServer& operator=(const HookswitchServer&) = delete;
  ~HookswitchServer() override;

  // Serves until `stop_fd` becomes readable or ZeroMQ fails.
  sdk::Status serve(int stop_fd, const FrameHandler& handler);
  // Sends the replies still queued (after the final verdicts at stop).
  void flush();
  void verdict(std::uint32_t packet_id, Verdict verdict) noexcept override;

 private:
  struct Impl;
  explicit HookswitchServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Where the IP packet starts in an Ethernet frame (after an 802.1Q tag if
// there is one), or npos when the frame does not carry IPv4 or IPv6.
std::size_t ip_offset_in_frame(std::string_view frame);

}  // namespace nmz::plugins::ethernet
