// SPDX-License-Identifier: Apache-2.0
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include <nmz/sdk/flags.hpp>

#include "cli/commands.hpp"
#include "util/signal_watcher.hpp"
#include "cli/verb_flags.hpp"
#include "experiment/experiment_run.hpp"
#include "experiment/shard.hpp"
#include "experiment/statistics.hpp"
#include "experiment/summary.hpp"
#include "log/logging.hpp"
#include "plugin/config_warnings.hpp"
#include "plugin/plugin_loading.hpp"
#include "util/spawn.hpp"

namespace nmz::core::cli {
namespace {

using experiment::kExitBroken;
using experiment::kExitPassed;
using experiment::kExitTimeout;
using experiment::kExitUsage;
using experiment::kExitValidationFailed;

// Runs `count` experiments, `parallel` at a time, each in a child `nmz run`
// of its own (so each has its own orchestrator, log file and console file),
// with a progress line on stderr.
class RunSeries {
 public:
  // `per_run_args`, when not empty, says how many runs and what each
  // child gets on top (a shard's run numbers).
  RunSeries(std::string storage, std::int64_t count, std::int64_t parallel, bool until_failure,
            std::vector<std::vector<std::string>> per_run_args = {})
      : storage_(std::move(storage)),
        count_(per_run_args.empty() ? count : static_cast<std::int64_t>(per_run_args.size())),
        parallel_(parallel),
        until_failure_(until_failure),
        per_run_args_(std::move(per_run_args)) {}

  int execute() {
    started_ = std::chrono::steady_clock::now();
    SignalWatcher signals([this](int signal_number) {
      stop_ = true;
      std::lock_guard lock(mutex_);
      std::cerr << "\nnmz run: interrupted: no new runs; waiting for the running ones\n";
      for (pid_t pid : children_) ::kill(pid, signal_number);
    });
    std::vector<std::thread> workers;
    for (std::int64_t i = 0; i < parallel_; ++i) workers.emplace_back([this] { work(); });
    for (auto& worker : workers) worker.join();
    std::cerr << "\n";
    // The summary here: `nmz run ... && nmz summary ...` would skip it
    // exactly when a run failed.
    if (auto storage = experiment::Storage::open(storage_)) {
      std::cout << experiment::summary_text(experiment::summarize(*storage));
    }
    std::cerr << "details: nmz summary " << storage_ << "\n";
    if (broken_ > 0) return kExitBroken;
    if (timed_out_ > 0) return kExitTimeout;
    return failed_ > 0 ? kExitValidationFailed : kExitPassed;
  }

 private:
  void work() {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    for (std::int64_t i = 0; !stop_ && (i = next_++) < count_;) {
      std::vector<std::string> argv{self, "run", "-child"};
      if (parallel_ > 1) argv.push_back("-any-rest-port");
      if (!per_run_args_.empty()) argv.insert(argv.end(), per_run_args_[i].begin(), per_run_args_[i].end());
      argv.push_back(storage_);
      int rc = kExitBroken;
      {
        std::unique_lock lock(mutex_);
        auto pid = sdk::spawn_process(argv);
        if (!pid) {
          std::cerr << "nmz run: " << pid.status().message() << "\n";
        } else {
          children_.insert(*pid);
          lock.unlock();
          rc = sdk::wait_for_exit(*pid);
          lock.lock();
          children_.erase(*pid);
        }
      }
      record(rc);
    }
  }

  void record(int rc) {
    std::lock_guard lock(mutex_);
    if (rc == kExitPassed) {
      ++passed_;
    } else if (rc == kExitValidationFailed) {
      ++failed_;
    } else if (rc == kExitTimeout) {
      ++timed_out_;
    } else {
      ++broken_;
    }
    if (until_failure_ && rc != kExitPassed) stop_ = true;
    const auto done = passed_ + failed_ + broken_ + timed_out_;
    const auto decided = passed_ + failed_;
    const auto interval = experiment::wilson_interval(failed_, decided);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    char line[256];
    std::snprintf(line, sizeof line,
                  "runs %llu/%lld  failed %llu  broken %llu  timeout %llu  failure rate %.1f%% [95%% %.1f%%, %.1f%%]  %.2f runs/s",
                  static_cast<unsigned long long>(done), static_cast<long long>(count_),
                  static_cast<unsigned long long>(failed_), static_cast<unsigned long long>(broken_),
                  static_cast<unsigned long long>(timed_out_),
                  decided == 0 ? 0.0 : 100.0 * static_cast<double>(failed_) / static_cast<double>(decided),
                  interval.low * 100, interval.high * 100, elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0);
    if (::isatty(STDERR_FILENO)) {
      std::cerr << "\r" << line << "\033[K" << std::flush;
    } else {
      std::cerr << line << "\n";
    }
  }

  std::string storage_;
  std::int64_t count_;
  std::int64_t parallel_;
  bool until_failure_;
  std::vector<std::vector<std::string>> per_run_args_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> next_{0};
  std::mutex mutex_;
  std::set<pid_t> children_;
  std::uint64_t passed_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t broken_ = 0;
  std::uint64_t timed_out_ = 0;
};

int run_shard(const experiment::Storage& storage, const std::string& shard_text, std::int64_t count,
              std::int64_t parallel, bool until_failure, std::int64_t run_number, bool child) {
  auto shard = experiment::parse_shard(shard_text);
  if (!shard) {
    std::cerr << "nmz run: flag -shard: " << shard.status().message() << "\n";
    return kExitUsage;
  }
  if (run_number >= 0) {
    // Shards side by side on one node must not share restPort: any free port.
    return experiment::execute_shard_run(storage, *shard, static_cast<std::uint64_t>(run_number), {child, true, {}});
  }
  std::vector<std::vector<std::string>> per_run_args;
  for (auto number : experiment::pending_shard_runs(storage, *shard, static_cast<std::uint64_t>(count))) {
    per_run_args.push_back({"-shard", shard->text(), "-run-number", std::to_string(number)});
  }
  if (per_run_args.empty()) {
    std::cerr << "nmz run: shard " << shard->text() << " of " << count << " runs: every run exists already\n";
    return kExitPassed;
  }
  const auto runs = static_cast<std::int64_t>(per_run_args.size());
  return RunSeries(storage.root().string(), runs, std::min(parallel, runs), until_failure, std::move(per_run_args))
      .execute();
}

// Once per `nmz run`: the plugins on pluginPath may have changed since `nmz
// init` checked the config. A config that does not load is left to the run,
// which reports it as it always did.
sdk::Status check_config(const experiment::Storage& storage, bool strict) {
  auto config = storage.load_config();
  if (!config) return sdk::Status::ok();
  PluginHost plugins;
  load_plugins_for(plugins, *config, {config->explore_policy});
  return report_config_warnings(*config, plugins, strict);
}

}  // namespace

int command_run(const std::vector<std::string>& args) {
  init_logging();
  std::int64_t count = 1;
  std::int64_t parallel = 1;
  bool until_failure = false;
  bool child = false;
  bool any_rest_port = false;
  std::string shard_text;
  std::int64_t run_number = -1;
  bool strict = false;
  sdk::FlagSet flags("nmz run");
  flags.add_int("n", &count, "number of runs");
  flags.add_bool("until-failure", &until_failure, "stop at the first run that fails (or breaks)");
  flags.add_int("parallel", &parallel, "runs side by side (each gets its own NMZ_REST_PORT, NMZ_NFQ_NUMBER, NMZ_NETNS)");
  flags.add_bool("child", &child, "(internal) one run of a series: console output to <run>/console.log");
  flags.add_bool("any-rest-port", &any_rest_port, "(internal) REST on any free port instead of restPort");
  flags.add_string("shard", &shard_text, "I/N: only the run numbers below -n that are I modulo N (docs/scale-out.md)");
  flags.add_int("run-number", &run_number, "(internal) the shard run number this child runs");
  flags.add_bool("strict", &strict, "config warnings (unknown keys, undeclared policy parameters) are errors");
  if (!parse_verb_flags(flags, args, 1,
                        "nmz run [-n N] [--until-failure] [--parallel K] [--shard I/N] [--strict] STORAGE_DIR\n"
                        "exit status: 0 every run passed, 1 a run failed validation, 3 a run was broken, 4 a run timed out\n"
                        "(runTimeout), 2 bad usage")) {
    return kExitUsage;
  }
  if (count < 1) {
    std::cerr << "nmz run: flag -n: expected a number of runs of at least 1, got " << count << "\n";
    return kExitUsage;
  }
  if (parallel < 1 || parallel > 256) {
    std::cerr << "nmz run: flag -parallel: expected 1 to 256, got " << parallel << "\n";
    return kExitUsage;
  }
  const std::string& path = flags.positionals()[0];
  auto storage = experiment::Storage::open(path);
  if (!storage) {
    std::cerr << "nmz run: " << storage.status().message() << "\n";
    return kExitUsage;
  }
  // Once per `nmz run`, before any run: not again in each run's child.
  if (!child) {
    if (auto status = check_config(*storage, strict); !status) {
      std::cerr << "nmz run: " << status.message() << "\n";
      return kExitUsage;
    }
  }
  if (!shard_text.empty()) return run_shard(*storage, shard_text, count, parallel, until_failure, run_number, child);
  if (count == 1 && parallel == 1 && !until_failure) return experiment::execute_run(*storage, {child, any_rest_port, {}});
  return RunSeries(storage->root().string(), count, std::min(parallel, count), until_failure).execute();
}

}  // namespace nmz::core::cli
