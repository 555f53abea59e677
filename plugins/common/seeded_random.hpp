// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace nmz::plugins {

// The one generator a policy draws every decision from, seeded with the
// run's seed (ComponentContext::seed()).
//
// The derived draws are written out here instead of using the standard
// distributions: those are implementation-defined, so a seed recorded on a
// libstdc++ build would replay differently on a libc++ one. These give the
// same numbers everywhere std::mt19937_64 gives the same words (which the
// standard fixes). Not thread-safe: the policy serialises its draws.
class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, bound); bound must be > 0. Unbiased (rejection sampling).
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [low, high], inclusive; low <= high.
  std::int64_t between(std::int64_t low, std::int64_t high);
  // Uniform in [low, high); low when the range is empty.
  std::chrono::nanoseconds duration_in(std::chrono::nanoseconds low, std::chrono::nanoseconds high);
  // Uniform in [0, 1), 53 random bits.
  double unit();
  // True with probability `p` exactly (to 2^-53): never for p <= 0, always for p >= 1.
  bool chance(double p);
  // Exponential(1), i.e. Gamma(1, 1): what a flat Dirichlet is made of.
  double exponential();

 private:
  std::mt19937_64 engine_;
};

}  // namespace nmz::plugins
