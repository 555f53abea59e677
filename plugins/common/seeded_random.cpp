// SPDX-License-Identifier: Apache-2.0
#include "seeded_random.hpp"

#include <cmath>

namespace nmz::plugins {

std::uint64_t SeededRandom::below(std::uint64_t bound) {
  // Words below `threshold` would make the low residues more likely.
  const std::uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    std::uint64_t word = engine_();
    if (word >= threshold) return word % bound;
  }
}

std::int64_t SeededRandom::between(std::int64_t low, std::int64_t high) {
  const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  if (span == UINT64_MAX) return static_cast<std::int64_t>(engine_());
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + below(span + 1));
}

std::chrono::nanoseconds SeededRandom::duration_in(std::chrono::nanoseconds low, std::chrono::nanoseconds high) {
  if (high <= low) return low;
  return low + std::chrono::nanoseconds(
                   static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high.count() - low.count()))));
}

double SeededRandom::unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

bool SeededRandom::chance(double p) {
  // One draw whatever p is: with the same seed, what faults at p = 0.1
  // then also faults at p = 0.2, and the draws after it stay aligned.
  return unit() < p;
}

double SeededRandom::exponential() { return -std::log1p(-unit()); }

}  // namespace nmz::plugins
