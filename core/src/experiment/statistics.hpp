// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

namespace nmz::core::experiment {

struct Interval {
  double low = 0;
  double high = 0;
};

// The Wilson score interval of a proportion `successes` / `trials` (95%
// for z = 1.96): unlike the normal approximation it stays inside [0, 1]
// and is meaningful for 0 or all successes and few trials.
Interval wilson_interval(std::uint64_t successes, std::uint64_t trials, double z = 1.96);

// The `p` quantile (0..1) by linear interpolation; 0 for no values.
double quantile(std::vector<double> values, double p);

}  // namespace nmz::core::experiment
