// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::ethernet {

// Packets nmz sends itself carry this firewall mark; nmz's own rules let
// them pass without queueing them again (a duplicate must not be queued and
// duplicated in turn).
inline constexpr std::uint32_t kInjectedMark = 0x4e4d5a00;
inline constexpr std::uint32_t kInjectedMarkMask = 0xffffff00;

// Sends copies of IP packets through raw sockets (IP_HDRINCL) of the
// inspector's network namespace: the duplicate fault.
class PacketInjector {
 public:
  PacketInjector() = default;
  PacketInjector(const PacketInjector&) = delete;
  PacketInjector& operator=(const PacketInjector&) = delete;
  ~PacketInjector();

  sdk::Status open();
  [[nodiscard]] bool ready() const noexcept { return v4_ >= 0 && v6_ >= 0; }
  // Thread: any. `ip_packet` is copied and its checksums completed.
  sdk::Status inject(std::string ip_packet) const;

 private:
  int v4_ = -1;
  int v6_ = -1;
};

}  // namespace nmz::plugins::ethernet
