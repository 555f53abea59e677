// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include <nmz/sdk/status.hpp>

namespace nmz::core::experiment {

// passed: validate succeeded (or there is none); failed: validate failed,
// the outcome the experiment looks for; broken: the experiment itself did
// not work (run.sh failed, a script is missing, the policy did not start);
// timeout: a script outlived runTimeout and was killed; interrupted: nmz
// itself died during the run (its leftovers were cleaned up afterwards).
enum class RunStatus { passed, failed, broken, timeout, interrupted };

std::string to_string(RunStatus status);

// <run>/result.json. Namazu's fields (successful, required_time in ns,
// metadata) plus what a reader needs to trust and replay a run.
struct RunResult {
  RunStatus status = RunStatus::broken;
  std::string reason;  // why it failed or broke, for people
  std::chrono::nanoseconds required_time{0};
  std::int64_t started_at_ns = 0;  // since the Unix epoch
  std::string policy;
  std::string seed;
  std::string nmz_version;
  int run_exit_code = -1;  // -1: not run
  int validate_exit_code = -1;
  int clean_exit_code = -1;
  int rest_port = -1;
  int nfq_number = -1;
  std::string netns;
  std::uint64_t trace_length = 0;
  // What the run looked like (run_signature.hpp): a 16-hex-digit id and
  // the text it hashes. Empty for runs recorded before signatures.
  std::string signature;
  std::string signature_text;
  int signature_exit_code = -1;  // of the config's `signature` script; -1: not run
  // The policy's own record of what it planned for the run (RUN/plan.json,
  // a JSON object, e.g. the explore policy's faults), as JSON text; empty
  // when the policy wrote none.
  std::string plan;
  // recordCoverage: what the run covered ({"tool", "coverage_pattern",
  // "covered_lines", "covered_branches"}) or why it could not be read
  // ({"error"}), as JSON text; empty when not recorded.
  std::string coverage;

  [[nodiscard]] bool successful() const noexcept { return status == RunStatus::passed; }
};

std::string to_json(const RunResult& result);
sdk::Result<RunResult> run_result_from_json(std::string_view text);

// Atomic (readers see the old or the new file, never half of one).
sdk::Status write_run_result(const std::filesystem::path& path, const RunResult& result);
// Errors name the file and say what is wrong with it (missing, truncated).
sdk::Result<RunResult> read_run_result(const std::filesystem::path& path);

}  // namespace nmz::core::experiment
