// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace nmz::plugins::ethernet {

enum class Verdict { accept, drop };

// Where the verdict for a packet goes: the NFQUEUE socket, or the
// hookswitch reply stream.
class VerdictPort {
 public:
  virtual ~VerdictPort() = default;
  // Thread: any, concurrently. Never blocks for long.
  virtual void verdict(std::uint32_t packet_id, Verdict verdict) noexcept = 0;
};

}  // namespace nmz::plugins::ethernet
