// SPDX-License-Identifier: Apache-2.0
#include "bandit.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "fault_plan.hpp"

namespace nmz::plugins::explore {
namespace {

double standard_normal(SeededRandom& random) {
  // Box-Muller; 1 - unit() is in (0, 1], so the logarithm is finite.
  const double u = 1.0 - random.unit();
  const double v = random.unit();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

}  // namespace

double facet_rarity(std::uint64_t runs_showing, std::uint64_t runs_before) {
  if (runs_showing == 0 || runs_before == 0) return 1.0;
  const double share = std::min(1.0, static_cast<double>(runs_showing) / static_cast<double>(runs_before));
  return std::pow(1.0 - share, kRarityHorizon);
}

double run_reward(const RunNovelty& run) {
  double reward = std::clamp(run.rarity, 0.0, 1.0);
  if (run.failed) reward = std::max(reward, kRewardKnownFailure);
  if (run.new_coverage) reward = std::max(reward, kRewardNewCoverage);
  return reward;
}

PooledStats pool_by_factor(const std::map<std::string, ArmStats>& arms) {
  PooledStats pooled;
  auto add = [](std::map<std::string, ArmStats>& pool, const std::string& key, const ArmStats& arm) {
    if (key.empty()) return;
    pool[key].pulls += arm.pulls;
    pool[key].reward += arm.reward;
  };
  for (const auto& [name, arm] : arms) {
    const ArmFactors factors = arm_factors(name);
    add(pooled.kinds, factors.kind, arm);
    add(pooled.targets, factors.target, arm);
    add(pooled.magnitudes, factors.magnitude, arm);
    add(pooled.phases, factors.phase, arm);
  }
  return pooled;
}

std::size_t thompson_choice(const std::vector<ArmStats>& options, SeededRandom& random) {
  std::size_t best = 0;
  double best_draw = -1;
  for (std::size_t i = 0; i < options.size(); ++i) {
    const double draw = thompson_draw(options[i], random);
    if (draw > best_draw) {
      best = i;
      best_draw = draw;
    }
  }
  return best;
}

void credit(std::map<std::string, ArmStats>& arms, const std::vector<std::string>& pulled, double reward) {
  for (const auto& name : pulled) {
    ArmStats& arm = arms[name];
    arm.pulls += 1;
    arm.reward += std::clamp(reward, 0.0, 1.0);
  }
}

double gamma_draw(double shape, SeededRandom& random) {
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0;
    double v = 0;
    do {
      x = standard_normal(random);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1.0 - random.unit();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

double thompson_draw(const ArmStats& arm, SeededRandom& random) {
  const double alpha = 1.0 + arm.reward;
  const double beta = 1.0 + std::max(0.0, arm.pulls - arm.reward);
  const double a = gamma_draw(alpha, random);
  const double b = gamma_draw(beta, random);
  return a / (a + b);
}

}  // namespace nmz::plugins::explore
