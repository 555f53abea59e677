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
inline constexpr double kRewardNewFacet = 1.0;         // a part of the behaviour no earlier run showed
inline constexpr double kRewardNewCoverage = 1.0;      // a line or branch no earlier run covered
inline constexpr double kRewardKnownFailure = 0.5;     // a failure seen before: still worth aiming at
inline constexpr double kRewardNewCombination = 0.25;  // a new signature made of parts seen before
inline constexpr double kRewardNothingNew = 0.0;

// What one finished run showed that earlier runs had not.
struct RunNovelty {
  bool failed = false;
  bool new_signature = false;  // false for a run without a signature
  bool new_coverage = false;   // false for a run without recorded coverage
  bool new_facet = false;      // a facet of its behaviour (explore_state.hpp) is new
};

// The largest reward the run earned: a new facet of behaviour and new
// coverage each earn the most, a known failure half of it, a signature that
// is new only as a combination of known facets a quarter. On targets whose
// signature is fine-grained (an interleaving of 40 writes), nearly every run
// is a new signature: rewarding each alike would teach nothing, while a new
// facet (a writer where none wrote before, a term never reached) says the
// plan changed what the target did.
double run_reward(const RunNovelty& run);

void credit(std::map<std::string, ArmStats>& arms, const std::vector<std::string>& pulled, double reward);

// Every arm's statistics pooled by each factor of its name (a fault kind,
// a target, a delay magnitude, a window phase: fault_plan.hpp's
// ArmFactors). A plan draws each factor from its own pool: a kind, a
// target of that kind, then a magnitude and a phase from pools shared by
// all targets. Which kind of fault moves the system, the timeouts that
// decide whether a delay matters (a lease, an election timeout) and the
// phase where the order is decided are properties of the target system,
// not of one node, so what one arm learned about them serves all: with
// full arms alone (kind x roles x magnitude x phase, 60 on three nodes) a
// 20-run experiment would pull each about once.
struct PooledStats {
  std::map<std::string, ArmStats> kinds;
  std::map<std::string, ArmStats> targets;
  std::map<std::string, ArmStats> magnitudes;
  std::map<std::string, ArmStats> phases;
};
PooledStats pool_by_factor(const std::map<std::string, ArmStats>& arms);

// The index of the option with the highest Thompson draw (the first of
// equal draws); options must not be empty.
std::size_t thompson_choice(const std::vector<ArmStats>& options, SeededRandom& random);

// One draw from the arm's Beta posterior.
double thompson_draw(const ArmStats& arm, SeededRandom& random);

// Gamma(shape, 1) for shape >= 1 (Marsaglia and Tsang), written out for the
// same reason SeededRandom is: the same numbers on every standard library.
double gamma_draw(double shape, SeededRandom& random);

}  // namespace nmz::plugins::explore
