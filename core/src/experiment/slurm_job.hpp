// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nmz/sdk/status.hpp>

namespace nmz::core::experiment {

// An experiment as a Slurm job array: task I runs `nmz run --shard I/N`,
// and a job that depends on the whole array writes <storage>/summary.json.
struct SlurmJob {
  std::filesystem::path storage;  // absolute: the tasks run on other nodes (shared filesystem)
  std::filesystem::path nmz;      // the nmz every node runs (same path on every node)
  std::uint64_t runs = 0;
  std::uint64_t array_size = 0;
  std::uint64_t parallel = 1;  // runs side by side inside one task
  std::string partition;       // "" for the cluster's default
  std::string time_limit;      // "" for the partition's default
};

// The sbatch scripts, written into <storage>/slurm/ by submit_slurm_job.
std::string slurm_array_script(const SlurmJob& job);
std::string slurm_summary_script(const SlurmJob& job);

struct SlurmSubmission {
  std::string array_job_id;
  std::string summary_job_id;
};

// Writes both scripts and submits them with sbatch (on PATH); errors carry
// sbatch's own message from <storage>/slurm/sbatch.err.
sdk::Result<SlurmSubmission> submit_slurm_job(const SlurmJob& job);

}  // namespace nmz::core::experiment
