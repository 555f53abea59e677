// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
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
// differ with each run's seed; (2) rewards drift (a facet's rarity fades
// as runs repeat it), and a posterior draw keeps exploring arms whose
// rewards dried up less than an optimistic bound that is only ever widened.
namespace nmz::plugins::explore {

struct ArmStats {
  double pulls = 0;
  double reward = 0;  // sum of rewards, each in [0, 1]
  bool operator==(const ArmStats&) const = default;
};

// Rewards of one finished run, credited to every arm of its plan.
inline constexpr double kRewardNewCoverage = 1.0;   // a line or branch no earlier run covered
inline constexpr double kRewardKnownFailure = 0.5;  // a failure: worth aiming at again
inline constexpr double kRewardNothingNew = 0.0;

// How many past runs a facet's rarity is judged over: a facet earns
// (1 - share of learned runs that showed it) ^ kRarityHorizon, the chance
// that this many runs drawn like the past ones would all lack it.
inline constexpr double kRarityHorizon = 8;

// The reward of showing a facet of behaviour (explore_state.hpp) that
// `runs_showing` of `runs_before` learned runs showed: 1 for a facet no run
// showed, 0.58 for one shown by 1 run in 15, 0.1 for 1 in 4, below 0.01 for
// one shown by half the runs. Rarity rather than novelty, because on a
// target whose signature is fine-grained (the order of 40 writes) nearly
// every early run shows some word in some place for the first time by
// chance, whatever its plan did; a facet that keeps coming back (a middle
// writer's place, which varies at random) then earns little, one that came
// once in many runs (c2 writing first) a lot, however many runs it took.
double facet_rarity(std::uint64_t runs_showing, std::uint64_t runs_before);

// What one finished run showed.
struct RunNovelty {
  bool failed = false;
  bool new_coverage = false;   // false for a run without recorded coverage
  double rarity = 0;           // facet_rarity of its rarest facet; 0 without a signature
};

// The largest reward the run earned: the rarity of its rarest facet of
// behaviour, new coverage 1, a failure at least half.
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
