// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nmz/sdk/child_process.hpp>
#include <nmz/sdk/restore_record.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::core::experiment {

// The scripts of one run (run.sh, validate.sh, clean.sh), each in a process
// group of its own that dies with nmz: if nmz is killed, a supervisor kills
// the group and starts `nmz tools cleanup`, which applies the run's restore
// record (kill what is left of the group, delete the run's network
// namespace, mark the run `interrupted`). The next `nmz run` does the same
// for any run whose supervisor was killed too.
class RunScripts {
 public:
  struct Outcome {
    int status = 127;  // shell-style
    bool timed_out = false;
  };

  // `netns`: the run's NMZ_NETNS, deleted when nmz dies. `run_dir` is marked
  // interrupted then.
  static sdk::Result<std::unique_ptr<RunScripts>> create(const std::string& run_dir, const std::string& netns);
  RunScripts(const RunScripts&) = delete;
  RunScripts& operator=(const RunScripts&) = delete;

  // Runs `sh -c command` with `env` added; waits until it ends or
  // `deadline` (none: no limit), then SIGTERM, SIGKILL 2 s later, to the
  // whole group. Thread: the run's main thread.
  sdk::Result<Outcome> run(const std::string& command, const std::vector<std::string>& env,
                           std::optional<std::chrono::steady_clock::time_point> deadline);

  // From the signal thread: the first SIGINT/SIGTERM/SIGHUP is passed on
  // to the running script's group; from the second on, the group is killed.
  void on_signal(int signal_number, int times_received);

 private:
  RunScripts(sdk::RestoreRecord record, std::string run_dir, std::string netns)
      : record_(std::move(record)), run_dir_(std::move(run_dir)), netns_(std::move(netns)) {}
  sdk::Status record_group(pid_t group);

  sdk::RestoreRecord record_;
  std::string run_dir_;
  std::string netns_;
  std::mutex mutex_;
  pid_t group_ = -1;  // the running script's process group
};

}  // namespace nmz::core::experiment
