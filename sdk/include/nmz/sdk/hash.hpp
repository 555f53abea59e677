// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <cstdint>
#include <string_view>


namespace nmz::sdk {

inline constexpr std::uint64_t kFnv1a64OffsetBasis = 0xcbf29ce484222325ULL;

// FNV-1a, 64 bit: what Namazu's replayable policy hashes seeds and replay
// hints with. Continue a hash by passing the previous result as `basis`.
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t basis = kFnv1a64OffsetBasis) noexcept;

}  // namespace nmz::sdk
