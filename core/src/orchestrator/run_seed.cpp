// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/run_seed.hpp"

#include <charconv>
#include <cstdlib>
#include <random>

#include <nmz/sdk/hash.hpp>

namespace nmz::core {

RunSeed resolve_seed(const std::string& configured) {
  RunSeed seed;
  for (const char* name : {"NMZ_SEED", "NMZ_REPLAY_SEED"}) {
    const char* env = std::getenv(name);
    if (env != nullptr && *env != '\0') {
      seed.text = env;
      break;
    }
  }
  if (seed.text.empty()) seed.text = configured;
  if (seed.text.empty()) {
    std::random_device entropy;
    seed.value = (static_cast<std::uint64_t>(entropy()) << 32) | entropy();
    seed.text = std::to_string(seed.value);
    seed.chosen = true;
    return seed;
  }
  const char* end = seed.text.data() + seed.text.size();
  auto [ptr, ec] = std::from_chars(seed.text.data(), end, seed.value);
  if (ec != std::errc() || ptr != end) seed.value = sdk::fnv1a64(seed.text);
  return seed;
}

}  // namespace nmz::core
