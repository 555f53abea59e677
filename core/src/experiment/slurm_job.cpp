// SPDX-License-Identifier: Apache-2.0
#include "experiment/slurm_job.hpp"

#include <fstream>
#include <sstream>

#include "util/atomic_file.hpp"
#include "util/spawn.hpp"

namespace nmz::core::experiment {

namespace fs = std::filesystem;

namespace {

std::string common_options(const SlurmJob& job, const std::string& name, const std::string& output) {
  std::string text = "#!/bin/sh\n#SBATCH --job-name=" + name + "\n#SBATCH --output=" + (job.storage / "slurm" / output).string() + "\n";
  if (!job.partition.empty()) text += "#SBATCH --partition=" + job.partition + "\n";
  if (!job.time_limit.empty()) text += "#SBATCH --time=" + job.time_limit + "\n";
  return text;
}

sdk::Result<std::string> sbatch(const fs::path& script, const std::string& options) {
  const fs::path out = script.parent_path() / "sbatch.out";
  const fs::path err = script.parent_path() / "sbatch.err";
  auto rc = run_shell("sbatch --parsable " + options + shell_quoted(script.string()) + " > " + shell_quoted(out.string()) +
                      " 2> " + shell_quoted(err.string()));
  auto read = [](const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  };
  if (!rc) return rc.status();
  if (*rc != 0) {
    return sdk::Status::error(sdk::StatusCode::unavailable, "sbatch " + script.string() + " exited with status " +
                                                                std::to_string(*rc) + ": " + read(err));
  }
  // --parsable prints "jobid" or "jobid;cluster".
  std::string id = read(out);
  return id.substr(0, id.find(';'));
}

}  // namespace

std::string slurm_array_script(const SlurmJob& job) {
  const std::string shards = std::to_string(job.array_size);
  std::string text = common_options(job, "nmz-shards", "shard-%a.out");
  text += "#SBATCH --array=0-" + std::to_string(job.array_size - 1) + "\n";
  // nmz run's exit status says whether runs failed; the summary job reads the storage either way.
  text += "exec " + shell_quoted(job.nmz.string()) + " run --shard \"$SLURM_ARRAY_TASK_ID/" + shards + "\" -n " +
          std::to_string(job.runs) + " --parallel " + std::to_string(job.parallel) + " " +
          shell_quoted(job.storage.string()) + "\n";
  return text;
}

std::string slurm_summary_script(const SlurmJob& job) {
  std::string text = common_options(job, "nmz-summary", "summary.out");
  const std::string summary = (job.storage / "summary.json").string();
  text += shell_quoted(job.nmz.string()) + " summary --json " + shell_quoted(job.storage.string()) + " > " +
          shell_quoted(summary + ".tmp") + " && exec mv " + shell_quoted(summary + ".tmp") + " " +
          shell_quoted(summary) + "\n";
  return text;
}

sdk::Result<SlurmSubmission> submit_slurm_job(const SlurmJob& job) {
  const fs::path dir = job.storage / "slurm";
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return sdk::Status::error(sdk::StatusCode::unavailable, dir.string() + ": " + error.message());
  if (auto s = write_file_atomically(dir / "array.sh", slurm_array_script(job)); !s) return s;
  if (auto s = write_file_atomically(dir / "summary.sh", slurm_summary_script(job)); !s) return s;
  SlurmSubmission submission;
  auto array = sbatch(dir / "array.sh", "");
  if (!array) return array.status();
  submission.array_job_id = *array;
  auto summary = sbatch(dir / "summary.sh", "--dependency=afterany:" + submission.array_job_id + " ");
  if (!summary) return summary.status();
  submission.summary_job_id = *summary;
  return submission;
}

}  // namespace nmz::core::experiment
