// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/hash.hpp>

namespace nmz::sdk {

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t basis) noexcept {
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  std::uint64_t hash = basis;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kPrime;
  }
  return hash;
}

}  // namespace nmz::sdk
