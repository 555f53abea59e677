// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <string>
#include <vector>

#include "seeded_random.hpp"

// Thompson sampling over the explore policy's arms (fault kind + roles +
// delay class). Each arm's chance of a rewarding run has a Beta(1 + reward,
// 1 + pulls - reward) posterior; a plan takes the arms whose posterior draws
// are highest. Thompson rather than UCB1 because (1) runs of one experiment
// start side by side (--parallel) from the same state, and UCB1, being
// deterministic, would give them all the same plan, while Thompson draws
// differ with each run's seed; (2) rewards drift (a signature is new only
// once), and a posterior draw keeps exploring arms whose novelty dried up
// less than an optimistic bound that is only ever widened.
namespace nmz::plugins::explore {

struct ArmStats {
  double pulls = 0;
  double reward = 0;  // sum of rewards, each in [0, 1]
  bool operator==(const ArmStats&) const = default;
};

// Rewards of one finished run, credited to every arm of its plan.
inline constexpr double kRewardNewSignature = 1.0;  // behaviour never seen before (failing or not)
inline constexpr double kRewardNewCoverage = 1.0;   // a line or branch no earlier run covered
inline constexpr double kRewardKnownFailure = 0.5;  // a failure seen before: still worth aiming at
inline constexpr double kRewardNothingNew = 0.0;

// What one finished run showed that earlier runs had not.
struct RunNovelty {
  bool failed = false;
  bool new_signature = false;  // false for a run without a signature
  bool new_coverage = false;   // false for a run without recorded coverage
};

// The largest reward the run earned: new behaviour and new coverage each
// earn the most, a known failure half of it.
double run_reward(const RunNovelty& run);

void credit(std::map<std::string, ArmStats>& arms, const std::vector<std::string>& pulled, double reward);

// One draw from the arm's Beta posterior.
double thompson_draw(const ArmStats& arm, SeededRandom& random);

// Gamma(shape, 1) for shape >= 1 (Marsaglia and Tsang), written out for the
// same reason SeededRandom is: the same numbers on every standard library.
double gamma_draw(double shape, SeededRandom& random);

}  // namespace nmz::plugins::explore
