// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <string>
#include <unordered_set>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/status.hpp>

#include "proc_sched_planner.hpp"

namespace nmz::plugins {

// Everything `random` reads from `[explorePolicyParam]`.
struct RandomSettings {
  std::chrono::nanoseconds min_interval{0};
  std::chrono::nanoseconds max_interval{0};
  std::unordered_set<std::string> prioritized_entities;
  double fault_probability = 0.0;
  // nmz: errnos a filesystem fault picks from; empty = the inspector's EIO.
  std::vector<int> fault_errnos;
  std::chrono::nanoseconds shell_action_interval{0};
  std::string shell_action_command;
  ProcSettings proc;
};

// Reads and checks the parameters; warnings (a shell command that never
// runs) go to `logger`.
sdk::Result<RandomSettings> read_random_settings(const sdk::ConfigView& options, sdk::Logger& logger);

}  // namespace nmz::plugins
