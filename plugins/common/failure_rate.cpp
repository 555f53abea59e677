// SPDX-License-Identifier: Apache-2.0
#include "failure_rate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nmz::plugins {

Interval wilson_interval(std::uint64_t failures, std::uint64_t runs) {
  if (runs == 0) return {0, 1};
  constexpr double z = 1.959963984540054;  // the 97.5% normal quantile
  double n = static_cast<double>(runs);
  double p = static_cast<double>(failures) / n;
  double denominator = 1 + z * z / n;
  double centre = (p + z * z / (2 * n)) / denominator;
  double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::string describe_failure_rate(std::uint64_t failures, std::uint64_t runs) {
  Interval ci = wilson_interval(failures, runs);
  double rate = runs == 0 ? 0.0 : static_cast<double>(failures) / static_cast<double>(runs);
  char text[128];
  std::snprintf(text, sizeof text, "%llu/%llu failed (%.1f%%, 95%% CI %.1f%%..%.1f%%)",
                static_cast<unsigned long long>(failures), static_cast<unsigned long long>(runs), 100 * rate,
                100 * ci.low, 100 * ci.high);
  return text;
}

}  // namespace nmz::plugins
