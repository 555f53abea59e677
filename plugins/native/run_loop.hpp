// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/status.hpp>

#include "adaptive_steps.hpp"
#include "target_process.hpp"

// Loop mode (`-n N`): one nmz runs the command N times, up to `jobs` at a
// time, each run with its own seed, and reports the failure rate as it
// goes. Keeping nmz alive is what makes a bug hunt of thousands of runs
// cheap: a run costs a fork, an exec and a wait, not nmz's start-up.
namespace nmz::native {

struct LoopOptions {
  std::uint64_t runs = 0;
  std::uint32_t jobs = 1;
  bool until_failure = false;
  std::uint64_t base_seed = 0;
  bool adapt_steps = false;  // PCT's k learnt from the runs (AdaptiveSteps); else fixed
  std::uint64_t initial_steps = 50;
  bool steps_measured = false;  // initial_steps is a count seen before (a steps file)
  int stop_fd = -1;  // readable: stop (SIGTERM to the running targets, SIGKILL grace_ms later)
  int grace_ms = 5000;
  std::string policy;  // "pct depth 3" or "random-walk": for the summary
  bool pct = true;
  // nmz's command line (own_command_line) and where the inspector's flags
  // start in it, for the replay line; empty: no replay line, only the seed.
  std::vector<std::string> command_line;
  std::size_t first_flag = 0;
};

// What one run is: its number in the loop, its seed and PCT's k.
struct RunPlan {
  std::uint64_t index = 0;
  std::uint64_t seed = 0;
  std::uint64_t steps = 0;
};

// How a run ended, as the loop needs it.
struct RunReport {
  int exit_code = 0;  // nmz's status for the run as a single run would end (deadlock: -deadlock-exit)
  std::uint64_t choice_points = 0;
};

// The inspector's side of the loop: starting a run and reading what it did.
class RunLauncher {
 public:
  virtual ~RunLauncher() = default;
  // Starts the run in `slot` (0..jobs-1, free); returns the target's pid.
  virtual sdk::Result<pid_t> start(std::size_t slot, const RunPlan& plan) = 0;
  // The run in `slot` exited (reaped); its region is read and released.
  // `first_failure`: it is the loop's first failing run (its schedule is
  // the one worth recording and reporting in detail).
  virtual RunReport finish(std::size_t slot, const RunPlan& plan, const TargetExit& exit, bool first_failure) = 0;
  // The run in `slot` was killed by the loop (stopping); nothing of it counts.
  virtual void discard(std::size_t slot) = 0;
};

// Seed of run `index`: a splitmix64 mix of the base seed and the index, so
// that a loop with the same base seed runs the same seeds.
std::uint64_t run_seed(std::uint64_t base_seed, std::uint64_t index);

struct LoopResult {
  sdk::Status status;
  int exit_code = 0;  // 0: every run passed; 1: a run failed; 130: stopped early with no failure
};

// Runs the loop. Progress and failures go to `logger`; the final summary
// and the replay line go to standard output.
LoopResult run_loop(const LoopOptions& options, RunLauncher& launcher, sdk::Logger& logger);

}  // namespace nmz::native
