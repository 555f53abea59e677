// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>

#include "experiment/storage.hpp"

namespace nmz::core::experiment {

// Exit statuses of `nmz run` (and of each run).
inline constexpr int kExitPassed = 0;
inline constexpr int kExitValidationFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBroken = 3;
inline constexpr int kExitTimeout = 4;  // a script outlived runTimeout

struct RunOptions {
  // Sends this process's stdout and stderr (and so the scripts') to
  // <run>/console.log: a run that is one of many must not scribble over
  // the progress line.
  bool quiet = false;
  // Listens for REST on any free port instead of restPort (runs side by side).
  bool any_rest_port = false;
  // A directory already claimed for this run (a shard's, see shard.hpp);
  // otherwise the storage's next local run number.
  std::optional<Storage::Run> claimed_run;
};

// One run of the experiment in `storage`: allocates its directory, starts
// the orchestrator (in this process, collecting the trace) and its REST
// endpoint, runs run.sh, validate.sh and clean.sh with NMZ_WORKING_DIR,
// NMZ_MATERIALS_DIR, NMZ_RUN_ID, NMZ_REST_PORT, NMZ_REST_URL,
// NMZ_NFQ_NUMBER, NMZ_NETNS and NMZ_BIN, and records trace.jsonl, actions/ and
// result.json. The scripts run in a process group of their own (RunScripts):
// the first SIGINT/SIGTERM/SIGHUP is passed on to it, the second kills it.
// Returns kExitPassed, kExitValidationFailed, kExitTimeout or kExitBroken;
// once the run directory exists a result.json always says what happened.
int execute_run(const Storage& storage, const RunOptions& options);

}  // namespace nmz::core::experiment
