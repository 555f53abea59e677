// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "experiment/shard.hpp"
#include "experiment/slurm_job.hpp"

using namespace nmz::core::experiment;

TEST_CASE("parse_shard takes I/N with 0 <= I < N and names what it expected otherwise") {
  auto shard = parse_shard("3/50");
  REQUIRE(shard);
  CHECK(shard->index == 3);
  CHECK(shard->count == 50);
  CHECK(shard->text() == "3/50");
  for (const char* bad : {"50/50", "1/0", "", "/", "3", "3/", "/5", "a/5", "3/5x", "-1/5", "1/2/3"}) {
    auto parsed = parse_shard(bad);
    CHECK_MESSAGE(!parsed, bad);
    if (!parsed) CHECK(parsed.status().message().find("expected") != std::string::npos);
  }
}

TEST_CASE("the Slurm array script runs one shard per task and names every option given") {
  SlurmJob job{"/shared/exp", "/opt/nmz/bin/nmz", 1000, 50, 2, "debug", "02:00:00"};
  const std::string script = slurm_array_script(job);
  CHECK(script.rfind("#!/bin/sh\n", 0) == 0);
  CHECK(script.find("#SBATCH --array=0-49\n") != std::string::npos);
  CHECK(script.find("#SBATCH --partition=debug\n") != std::string::npos);
  CHECK(script.find("#SBATCH --time=02:00:00\n") != std::string::npos);
  CHECK(script.find("exec '/opt/nmz/bin/nmz' run --shard \"$SLURM_ARRAY_TASK_ID/50\" -n 1000 --parallel 2 '/shared/exp'\n") !=
        std::string::npos);
  job.partition.clear();
  job.time_limit.clear();
  const std::string plain = slurm_array_script(job);
  CHECK(plain.find("--partition") == std::string::npos);
  CHECK(plain.find("--time") == std::string::npos);
  CHECK(slurm_summary_script(job).find("summary --json '/shared/exp' > '/shared/exp/summary.json.tmp'") !=
        std::string::npos);
}
