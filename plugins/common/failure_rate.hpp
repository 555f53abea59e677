// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

// How often a loop of runs failed, with the uncertainty a user needs to
// compare two methods: the 95% Wilson score interval, which, unlike the
// normal approximation, stays inside [0, 1] and is useful at 0 failures.
namespace nmz::plugins {

struct Interval {
  double low = 0;
  double high = 0;
};

Interval wilson_interval(std::uint64_t failures, std::uint64_t runs);

// "3/100 failed (3.0%, 95% CI 1.0%..8.5%)"
std::string describe_failure_rate(std::uint64_t failures, std::uint64_t runs);

}  // namespace nmz::plugins
