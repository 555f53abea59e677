// SPDX-License-Identifier: Apache-2.0
#include "run_loop.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "failure_rate.hpp"
#include "replay_command.hpp"

namespace nmz::native {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kFailureLinesShown = 10;
constexpr auto kProgressEvery = std::chrono::seconds(2);

struct Slot {
  bool busy = false;
  pid_t pid = -1;
  int pidfd = -1;
  RunPlan plan;
};

struct FirstFailure {
  RunPlan plan;
  int exit_code = 0;
};

std::string format_ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", ms);
  return text;
}

class Loop {
 public:
  Loop(const LoopOptions& options, RunLauncher& launcher, sdk::Logger& logger)
      : options_(options),
        launcher_(launcher),
        logger_(logger),
        steps_(options.initial_steps, options.steps_measured),
        slots_(options.jobs) {}

  LoopResult run() {
    started_ = last_progress_ = Clock::now();
    logger_.info("loop: " + std::to_string(options_.runs) + " runs, " + std::to_string(options_.jobs) +
                 " at a time, base seed " + std::to_string(options_.base_seed) + ", " + options_.policy +
                 (options_.pct ? (options_.adapt_steps ? ", k learnt from the runs" : ", k fixed") : ""));
    for (;;) {
      if (auto status = launch_free_slots(); !status) {
        kill_running(SIGKILL);
        return {status, 1};
      }
      if (busy() == 0) break;
      if (!wait_and_collect()) break;
    }
    kill_running(SIGKILL);
    print_summary();
    if (failures_ > 0) return {sdk::Status::ok(), 1};
    return {sdk::Status::ok(), finished_ < options_.runs ? 130 : 0};
  }

 private:
  std::size_t busy() const {
    std::size_t n = 0;
    for (const Slot& s : slots_) n += s.busy ? 1 : 0;
    return n;
  }

  bool launching() const {
    return !stopping_ && launched_ < options_.runs && !(options_.until_failure && failures_ > 0);
  }

  sdk::Status launch_free_slots() {
    for (std::size_t i = 0; i < slots_.size() && launching(); ++i) {
      Slot& slot = slots_[i];
      if (slot.busy) continue;
      slot.plan = RunPlan{launched_, run_seed(options_.base_seed, launched_), steps_.current()};
      auto pid = launcher_.start(i, slot.plan);
      if (!pid) return pid.status();
      slot.pid = *pid;
      slot.pidfd = open_pidfd(*pid);
      if (slot.pidfd < 0) {
        auto status = sdk::Status::error(sdk::StatusCode::unavailable,
                                         std::string("loop mode needs pidfd_open: ") + std::strerror(errno));
        kill(*pid, SIGKILL);
        reap_target(*pid);
        launcher_.discard(i);
        return status;
      }
      slot.busy = true;
      ++launched_;
    }
    return sdk::Status::ok();
  }

  // Waits until a run ends or a stop is asked for. False when the loop must
  // end now (the stop's grace time ran out).
  bool wait_and_collect() {
    std::vector<pollfd> fds;
    std::vector<std::size_t> owners;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].busy) continue;
      fds.push_back({slots_[i].pidfd, POLLIN, 0});
      owners.push_back(i);
    }
    if (!stopping_) fds.push_back({options_.stop_fd, POLLIN, 0});
    int timeout = -1;
    if (stopping_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(stop_deadline_ - Clock::now()).count();
      if (left <= 0) return false;
      timeout = static_cast<int>(left);
    }
    int ready = poll(fds.data(), fds.size(), timeout);
    if (ready < 0) return errno == EINTR;
    if (ready == 0) return !stopping_;
    for (std::size_t k = 0; k < owners.size(); ++k) {
      if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) != 0) collect(owners[k]);
    }
    if (!stopping_ && (fds.back().revents & POLLIN) != 0) {
      stopping_ = true;
      stop_deadline_ = Clock::now() + std::chrono::milliseconds(options_.grace_ms);
      logger_.warn("loop: stopping (interrupted after " + std::to_string(finished_) + " runs)");
      kill_running(SIGTERM);
    }
    return true;
  }

  void release(Slot& slot) {
    close(slot.pidfd);
    slot.pidfd = -1;
    slot.busy = false;
  }

  void collect(std::size_t index) {
    Slot& slot = slots_[index];
    TargetExit exit = reap_target(slot.pid);
    if (stopping_) {
      // Killed by the stop: not a run of the program's own making.
      launcher_.discard(index);
      release(slot);
      return;
    }
    bool failing = exit.status != 0;
    // A failure only counts as first if no other one was seen: the launcher
    // reads the region, so it decides with the real (deadlock) status below.
    RunReport report = launcher_.finish(index, slot.plan, exit, failing && !first_failure_);
    release(slot);
    ++finished_;
    if (options_.pct) {
      if (steps_far_off(report.choice_points, slot.plan.steps)) ++far_off_;
      if (options_.adapt_steps) steps_.observe(report.choice_points);
    }
    if (report.exit_code != 0) {
      ++failures_;
      if (!first_failure_) first_failure_ = FirstFailure{slot.plan, report.exit_code};
      if (failures_ <= kFailureLinesShown) {
        logger_.warn("loop: run " + std::to_string(slot.plan.index + 1) + " failed with exit status " +
                     std::to_string(report.exit_code) + " (seed " + std::to_string(slot.plan.seed) +
                     (options_.pct ? ", k " + std::to_string(slot.plan.steps) : "") + ")");
      }
      if (options_.until_failure) {
        // The runs still going are cut short: the first failure is what was asked for.
        stopping_ = true;
        stop_deadline_ = Clock::now();
      }
    }
    progress();
  }

  void kill_running(int signal_number) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      if (!slot.busy) continue;
      kill(slot.pid, signal_number);
      if (signal_number == SIGKILL) {
        reap_target(slot.pid);
        launcher_.discard(i);
        release(slot);
      }
    }
  }

  double ms_per_run() const {
    double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    return finished_ == 0 ? 0 : elapsed / static_cast<double>(finished_);
  }

  void progress() {
    std::uint64_t every = options_.runs >= 10 ? options_.runs / 10 : 1;
    auto now = Clock::now();
    if (finished_ % every != 0 && finished_ != options_.runs && now - last_progress_ < kProgressEvery) return;
    last_progress_ = now;
    logger_.info("loop: " + std::to_string(finished_) + "/" + std::to_string(options_.runs) + " runs, " +
                 nmz::plugins::describe_failure_rate(failures_, finished_) + ", " + format_ms(ms_per_run()) + " ms per run" +
                 (options_.pct ? ", k " + std::to_string(steps_.current()) : ""));
  }

  std::string replay_line(const RunPlan& plan) const {
    if (options_.command_line.size() <= options_.first_flag) return {};
    ReplayEdit edit;
    edit.drop_with_value = {"n", "jobs", "seed", "steps", "steps-file"};
    edit.drop_boolean = {"until-failure"};
    edit.keep_boolean = {"io", "tsan"};
    edit.add = {"-seed", std::to_string(plan.seed)};
    if (options_.pct) edit.add.insert(edit.add.end(), {"-steps", std::to_string(plan.steps)});
    std::string line;
    for (const auto& word : replay_arguments(options_.command_line, options_.first_flag, edit)) {
      line += (line.empty() ? "" : " ") + shell_quote(word);
    }
    return line;
  }

  void print_summary() {
    std::ostringstream out;
    out << "native loop: " << finished_ << " runs, " << nmz::plugins::describe_failure_rate(failures_, finished_) << ", "
        << format_ms(ms_per_run()) << " ms per run, " << options_.jobs << " at a time, " << options_.policy;
    if (options_.pct) {
      out << ", k " << steps_.current();
      if (options_.adapt_steps) out << " (learnt; started at " << options_.initial_steps << ")";
      if (far_off_ > 0) out << ", " << far_off_ << " run(s) more than 4x off their k";
    }
    out << "\n";
    if (finished_ < options_.runs && !(options_.until_failure && failures_ > 0)) {
      out << "stopped after " << finished_ << " of " << options_.runs << " runs\n";
    }
    if (first_failure_) {
      const RunPlan& plan = first_failure_->plan;
      out << "first failure: run " << plan.index + 1 << ", exit status " << first_failure_->exit_code << ", seed "
          << plan.seed;
      if (options_.pct) out << ", k " << plan.steps;
      out << "\n";
      if (std::string line = replay_line(plan); !line.empty()) out << "replay: " << line << "\n";
    }
    std::cout << out.str() << std::flush;
  }

  const LoopOptions& options_;
  RunLauncher& launcher_;
  sdk::Logger& logger_;
  AdaptiveSteps steps_;
  std::vector<Slot> slots_;
  std::uint64_t launched_ = 0;
  std::uint64_t finished_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t far_off_ = 0;
  std::optional<FirstFailure> first_failure_;
  bool stopping_ = false;
  Clock::time_point stop_deadline_;
  Clock::time_point started_;
  Clock::time_point last_progress_;
};

}  // namespace

std::uint64_t run_seed(std::uint64_t base_seed, std::uint64_t index) {
  std::uint64_t z = base_seed + (index + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

LoopResult run_loop(const LoopOptions& options, RunLauncher& launcher, sdk::Logger& logger) {
  return Loop(options, launcher, logger).run();
}

}  // namespace nmz::native
