// SPDX-License-Identifier: Apache-2.0
#include "util/hex_digest.hpp"

#include <nmz/sdk/hash.hpp>

namespace nmz::core {

std::string fnv1a64_hex(std::string_view bytes) {
  std::uint64_t value = sdk::fnv1a64(bytes);
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = "0123456789abcdef"[value & 0xf];
  return out;
}

}  // namespace nmz::core
