// SPDX-License-Identifier: Apache-2.0
// `native`: runs a command with the interposer preloaded and the controlled
// scheduler's policy (pct or random-walk) inside it. The policy runs in the
// target process, with no round trip to nmz per scheduling point: programs
// take millions of locks. nmz sets the run up, passes the exit status
// through, turns a detected deadlock into its own exit status, writes the
// decisions for replay, and reports one summary event per run.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nmz/sdk/flags.hpp>
#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/json_string.hpp>
#include <nmz/sdk/plugin.hpp>
#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/spawn.hpp>
#include <nmz/sdk/stop_signal.hpp>

#include "adaptive_steps.hpp"
#include "ops.hpp"
#include "preload_locator.hpp"
#include "race_file.hpp"
#include "race_file_check.hpp"
#include "region_mapping.hpp"
#include "replay_command.hpp"
#include "run_loop.hpp"
#include "schedule_file.hpp"
#include "target_process.hpp"

namespace {

using nmz::native::PolicyKind;
using nmz::native::Schedule;
using nmz::sdk::json_string;
using nmz::sdk::Status;

constexpr const char* kCommand = "nmz inspectors native";
constexpr std::uint64_t kRecordCapacity = std::uint64_t{1} << 24;  // decisions kept for -record
constexpr int kStopGraceMs = 5000;
constexpr std::int64_t kMaxEvents = 10000000;
constexpr std::int64_t kMaxJobs = 256;

std::optional<std::uint64_t> parse_u64(const std::string& text) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return value;
}

// A run's scheduler parameters for the log: random-walk has no depth or k.
std::string policy_description(const Schedule& schedule, std::uint64_t steps) {
  if (schedule.policy != PolicyKind::pct) return nmz::native::policy_name(schedule.policy);
  return "pct depth " + std::to_string(schedule.depth) + " k " + std::to_string(steps);
}

class NativeInspector final : public nmz::sdk::Inspector, private nmz::native::RunLauncher {
 public:
  NativeInspector() = default;
  NativeInspector(const NativeInspector&) = delete;
  NativeInspector& operator=(const NativeInspector&) = delete;

  Status configure(const nmz::sdk::ComponentContext& context, const nmz::sdk::InspectorSettings& settings) noexcept override {
    return nmz::sdk::guarded(std::string(kCommand) + ": ", [&]() -> Status {
      return configure_flags(context, settings);
    });
  }

  Outcome run(nmz::sdk::InspectorHost& host) noexcept override {
    return nmz::sdk::guarded(std::string(kCommand) + ": ", [&]() -> Outcome {
      return run_target(host);
    });
  }

  void request_stop() noexcept override { stop_.raise(); }

  // Every event this inspector submits is non-deferred: nothing waits for
  // an action.
  void on_action(nmz::sdk::Action) noexcept override {}

 private:
  Status configure_flags(const nmz::sdk::ComponentContext& context, const nmz::sdk::InspectorSettings& settings) {
    if (!stop_.ok()) return Status::error(nmz::sdk::StatusCode::unavailable, std::string(kCommand) + ": eventfd: " + std::strerror(errno));
    nmz::sdk::FlagSet flags(kCommand);
    std::string policy = "pct";
    std::int64_t depth = 3;
    std::int64_t steps = 50;
    std::string seed;
    std::chrono::nanoseconds budget = std::chrono::milliseconds(50);
    std::int64_t deadlock_exit = 86;
    std::int64_t events_flag = 0;
    flags.add_string("policy", &policy, "pct or random-walk");
    flags.add_int("depth", &depth, "PCT depth d (1..64): d-1 priority change points");
    flags.add_int("steps", &steps, "PCT's k: expected number of choice points in a run (see the run summary)");
    flags.add_string("steps-file", &steps_file_,
                     "keep k in FILE: read it (unless -steps is given), store the largest count seen after the run");
    flags.add_string("seed", &seed, "seed of the policy (default: the run's seed)");
    flags.add_string("record", &record_path_, "write the run's decisions to FILE (for -replay)");
    flags.add_string("replay", &replay_path_, "replay the decisions recorded in FILE");
    flags.add_duration("block-budget", &budget,
                       "a running thread that reaches no scheduling point for this long is treated as blocked");
    flags.add_bool("io", &io_points_, "make read/write/send/recv/connect/accept scheduling points too");
    flags.add_bool("tsan", &memory_points_,
                   "make every memory access a scheduling point (programs compiled with -fsanitize=thread and "
                   "linked against the interposer)");
    flags.add_string("races", &races_path_,
                     "with -tsan: race-directed scheduling; only accesses by instructions listed in FILE as racing "
                     "are scheduling points; the races a run finds are added to FILE for the next runs");
    flags.add_int("deadlock-exit", &deadlock_exit, "exit status when a deadlock is detected (1..255)");
    flags.add_int("events", &events_flag,
                  "after the run, report up to N scheduling points as CFunctionEvents (slower: no fast path)");
    flags.add_string("preload", &preload_, "the interposer library (default: found next to this plugin)");
    std::int64_t runs = 0;
    std::int64_t jobs = 1;
    flags.add_int("n", &runs, "loop mode: run the command N times in this nmz, each run with its own seed");
    flags.add_int("jobs", &jobs, "loop mode: run up to N targets at a time");
    flags.add_bool("until-failure", &loop_.until_failure, "loop mode: stop at the first failing run");
    if (auto status = flags.parse(settings.args); !status) return status;
    auto invalid = [](const std::string& what) { return Status::invalid(std::string(kCommand) + ": " + what); };
    command_ = flags.positionals();
    if (command_.empty()) return invalid("no command to run (usage: " + std::string(kCommand) + " [flags] -- CMD ARGS...)");
    if (flags.was_set("n") && runs < 1) return invalid("flag -n: expected 1 or more runs, got " + std::to_string(runs));
    if (jobs < 1 || jobs > kMaxJobs) {
      return invalid("flag -jobs: expected 1.." + std::to_string(kMaxJobs) + ", got " + std::to_string(jobs));
    }
    if (!flags.was_set("n") && (flags.was_set("jobs") || flags.was_set("until-failure"))) {
      return invalid(std::string("flag -") + (flags.was_set("jobs") ? "jobs" : "until-failure") +
                     ": only with loop mode (-n N)");
    }
    loop_.runs = static_cast<std::uint64_t>(runs);
    loop_.jobs = static_cast<std::uint32_t>(jobs);

    if (!replay_path_.empty()) {
      auto recorded = nmz::native::read_schedule(replay_path_);
      if (!recorded) return invalid("flag -replay: " + recorded.status().message());
      schedule_ = std::move(*recorded);
      replay_ = schedule_.decisions;
    }
    // Without explicit flags a replay continues with the recorded
    // parameters, so the run goes on as the recorded one did.
    if (replay_path_.empty() || flags.was_set("policy")) {
      auto kind = nmz::native::parse_policy(policy);
      if (!kind) return invalid("flag -policy: " + kind.status().message());
      schedule_.policy = *kind;
    }
    if (replay_path_.empty() || flags.was_set("depth")) {
      if (depth < 1 || depth > 64) return invalid("flag -depth: expected 1..64, got " + std::to_string(depth));
      schedule_.depth = static_cast<std::uint32_t>(depth);
    }
    if (replay_path_.empty() || flags.was_set("seed")) {
      if (seed.empty()) {
        schedule_.seed = context.seed();
      } else if (auto value = parse_u64(seed)) {
        schedule_.seed = *value;
      } else {
        return invalid("flag -seed: expected an unsigned 64-bit integer, got \"" + seed + "\"");
      }
    }
    if (replay_path_.empty() || flags.was_set("steps")) {
      if (steps < 1) return invalid("flag -steps: expected 1 or more, got " + std::to_string(steps));
      schedule_.steps = static_cast<std::uint64_t>(steps);
    }
    bool steps_measured = false;
    if (!steps_file_.empty() && !flags.was_set("steps")) {
      if (auto stored = read_steps_file(); !stored) {
        return invalid("flag -steps-file: " + stored.status().message());
      } else if (*stored > 0) {
        schedule_.steps = *stored;
        steps_measured = true;
      }
    }
    // k is learnt in a loop unless the user fixed it: a replayed schedule
    // keeps its recorded k, and so does an explicit -steps.
    loop_.adapt_steps = !flags.was_set("steps") && replay_path_.empty();
    loop_.initial_steps = schedule_.steps;
    loop_.steps_measured = steps_measured;
    loop_.base_seed = schedule_.seed;
    loop_.pct = schedule_.policy == PolicyKind::pct;
    loop_.policy = loop_.pct ? "pct depth " + std::to_string(schedule_.depth) : nmz::native::policy_name(schedule_.policy);
    if (budget.count() <= 0) return invalid("flag -block-budget: expected a positive duration");
    budget_ = budget;
    if (deadlock_exit < 1 || deadlock_exit > 255) {
      return invalid("flag -deadlock-exit: expected 1..255, got " + std::to_string(deadlock_exit));
    }
    deadlock_exit_ = static_cast<int>(deadlock_exit);
    if (events_flag < 0 || events_flag > kMaxEvents) {
      return invalid("flag -events: expected 0.." + std::to_string(kMaxEvents) + ", got " + std::to_string(events_flag));
    }
    events_ = static_cast<std::uint64_t>(events_flag);
    if (!record_path_.empty()) {
      std::filesystem::path dir = std::filesystem::absolute(record_path_).parent_path();
      if (access(dir.c_str(), W_OK) != 0) {
        return invalid("flag -record: cannot write in " + dir.string() + ": " + std::strerror(errno));
      }
    }
    if (!races_path_.empty()) {
      if (!memory_points_) return invalid("flag -races: needs -tsan (a program built with -fsanitize=thread)");
      races_path_ = std::filesystem::absolute(races_path_).string();
      auto known = nmz::native::prepare_races_file(races_path_);
      if (!known) return invalid("flag -races: " + known.status().message());
      races_known_ = *known;
    }
    auto preload = nmz::native::locate_preload(preload_);
    if (!preload) return Status::error(preload.status().code(), std::string(kCommand) + ": " + preload.status().message());
    preload_ = *preload;
    context.logger().debug("interposer " + preload_);
    return Status::ok();
  }

  nmz::sdk::Result<std::uint64_t> read_steps_file() const {
    std::ifstream in(steps_file_);
    if (!in) return std::uint64_t{0};  // the first run creates it
    std::string text;
    in >> text;
    auto value = parse_u64(text);
    if (!value) return Status::invalid(steps_file_ + ": expected a number of steps, got \"" + text + "\"");
    return *value;
  }

  // One started target and the region it writes into.
  struct Launched {
    std::unique_ptr<nmz::native::RegionMapping> region;
    std::chrono::steady_clock::time_point started;
  };

  Outcome run_target(nmz::sdk::InspectorHost& host) {
    host_ = &host;
    launched_.resize(loop_.runs > 0 ? loop_.jobs : 1);
    if (loop_.runs > 0) {
      loop_.stop_fd = stop_.fd();
      loop_.grace_ms = kStopGraceMs;
      loop_.command_line = nmz::native::own_command_line();
      // `nmz inspectors NAME FLAGS...`: only that front end has a line to repeat.
      bool from_cli = loop_.command_line.size() > 2 && loop_.command_line[1] == "inspectors";
      loop_.first_flag = from_cli ? 3 : loop_.command_line.size();
      auto result = nmz::native::run_loop(loop_, *this, host.logger());
      return {result.status, result.exit_code};
    }
    nmz::native::RunPlan plan{0, schedule_.seed, schedule_.steps};
    auto pid = start(0, plan);
    if (!pid) return {pid.status(), 1};
    nmz::native::TargetExit exit = nmz::native::wait_target(*pid, stop_.fd(), kStopGraceMs);
    auto report = finish(0, plan, exit, true);
    return {Status::ok(), report.exit_code};
  }

  nmz::sdk::Result<pid_t> start(std::size_t slot, const nmz::native::RunPlan& plan) override {
    nmz::sdk::InspectorHost& host = *host_;
    auto created = nmz::native::RegionMapping::create(replay_.size(), kRecordCapacity, events_);
    if (!created) return created.status();
    Launched& run = launched_[slot];
    run.region = std::move(*created);
    nmz::native::RegionHeader* header = run.region->header();
    header->policy = schedule_.policy;
    header->depth = schedule_.depth;
    header->seed = plan.seed;
    header->steps = plan.steps;
    header->block_budget_ns = budget_.count();
    header->io_points = io_points_ ? 1 : 0;
    header->memory_points = memory_points_ ? 1 : 0;
    header->deadlock_exit_code = deadlock_exit_;
    header->replay_count = replay_.size();
    std::copy(replay_.begin(), replay_.end(), nmz::native::replay_array(header));

    const char* inherited = std::getenv("LD_PRELOAD");
    std::string ld_preload = preload_ + (inherited != nullptr && *inherited != '\0' ? ":" + std::string(inherited) : "");
    run.started = std::chrono::steady_clock::now();
    std::vector<std::string> environment{"LD_PRELOAD=" + ld_preload,
                                         std::string(nmz::native::kRegionFdEnv) + "=" + std::to_string(run.region->fd())};
    if (!races_path_.empty()) environment.push_back(std::string(nmz::native::kRacesFileEnv) + "=" + races_path_);
    auto pid = nmz::sdk::spawn_process(command_, {std::move(environment), {run.region->fd()}});
    if (!pid) {
      run.region.reset();
      return Status::error(pid.status().code(), std::string(kCommand) + ": " + pid.status().message());
    }
    std::string line = "started " + command_[0] + " (pid " + std::to_string(*pid) + "), " +
                       policy_description(schedule_, plan.steps) + " seed " + std::to_string(plan.seed) +
                       (replay_.empty() ? "" : ", replaying " + std::to_string(replay_.size()) + " decisions");
    // A loop of thousands of runs logs its progress instead.
    if (loop_.runs > 0) {
      host.logger().debug(line);
    } else {
      host.logger().info(line);
    }
    return *pid;
  }

  nmz::native::RunReport finish(std::size_t slot, const nmz::native::RunPlan& plan,
                                const nmz::native::TargetExit& exit, bool first_failure) override {
    nmz::sdk::InspectorHost& host = *host_;
    Launched& run = launched_[slot];
    nmz::native::RegionHeader* header = run.region->header();
    int exit_code = exit.status;
    auto elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - run.started).count();
    bool in_loop = loop_.runs > 0;
    auto detail = in_loop ? nmz::sdk::LogLevel::debug : nmz::sdk::LogLevel::info;

    bool deadlocked = header->deadlocked != 0;
    std::string report(header->report, strnlen(header->report, nmz::native::kReportSize));
    if (deadlocked) {
      exit_code = deadlock_exit_;
      host.logger().write(in_loop && !first_failure ? nmz::sdk::LogLevel::debug : nmz::sdk::LogLevel::error, report);
    }
    std::ostringstream summary;
    summary << policy_description(schedule_, plan.steps) << " seed " << plan.seed << ": " << header->points
            << " scheduling points, " << header->decisions << " choice points, " << header->threads << " threads, "
            << header->steals << " blocked outside a point, exit status " << exit_code << " after "
            << elapsed_us / 1000 << "." << (elapsed_us % 1000) / 100 << " ms (cpu "
            << static_cast<long>(exit.cpu_ms * 10) / 10.0 << " ms)";
    if (header->owner_pid == 0) {
      host.logger().write(detail, command_[0] + " started no second thread: nothing was scheduled");
    } else {
      host.logger().write(detail, summary.str());
    }
    if (!races_path_.empty()) {
      std::uint64_t races = nmz::native::count_races(races_path_);
      host.logger().write(detail, "races file " + races_path_ + ": " + std::to_string(races) + " racing pairs (" +
                                      std::to_string(races > races_known_ ? races - races_known_ : 0) +
                                      " new, scheduling points from the next run on)");
      races_known_ = std::max(races_known_, races);
    }
    if (header->divergences > 0) {
      host.logger().write(in_loop ? nmz::sdk::LogLevel::debug : nmz::sdk::LogLevel::warn,
                          "the replay diverged: " + std::to_string(header->divergences) +
                              " recorded decisions named a thread that could not run at that point");
    }
    if (!in_loop && schedule_.policy == PolicyKind::pct && nmz::native::steps_far_off(header->decisions, plan.steps)) {
      host.logger().warn("this run had " + std::to_string(header->decisions) + " choice points, but PCT's k was " +
                         std::to_string(plan.steps) +
                         ": its change points were drawn from the wrong range. Loop mode (-n) learns k; or set -steps " +
                         std::to_string(header->decisions));
    }
    // In a loop, the schedule worth keeping is the first failing one's.
    if (!in_loop || (first_failure && exit_code != 0)) record(host, *header, plan);
    update_steps_file(host, *header);
    submit_points(host, *header);
    submit_summary(host, *header, plan, exit_code, report);
    nmz::native::RunReport result{exit_code, header->decisions};
    run.region.reset();
    return result;
  }

  void discard(std::size_t slot) override { launched_[slot].region.reset(); }

  void record(nmz::sdk::InspectorHost& host, const nmz::native::RegionHeader& header, const nmz::native::RunPlan& plan) {
    if (record_path_.empty()) return;
    Schedule recorded = schedule_;
    recorded.seed = plan.seed;
    recorded.steps = plan.steps;
    std::uint64_t kept = std::min(header.decisions, header.record_capacity);
    const std::uint16_t* decisions = nmz::native::record_array(const_cast<nmz::native::RegionHeader*>(&header));
    recorded.decisions.assign(decisions, decisions + kept);
    if (kept < header.decisions) {
      host.logger().warn("-record keeps the first " + std::to_string(kept) + " of " +
                         std::to_string(header.decisions) + " decisions");
    }
    if (auto status = nmz::native::write_schedule(record_path_, recorded); !status) {
      host.logger().error("-record: " + status.message());
    }
  }

  void update_steps_file(nmz::sdk::InspectorHost& host, const nmz::native::RegionHeader& header) {
    if (steps_file_.empty() || header.decisions == 0) return;
    auto stored = read_steps_file();
    std::uint64_t steps = std::max<std::uint64_t>(stored ? *stored : 0, header.decisions);
    if (stored && *stored == steps) return;
    std::string temp = steps_file_ + ".tmp." + std::to_string(getpid());
    std::ofstream(temp) << steps << "\n";
    if (std::rename(temp.c_str(), steps_file_.c_str()) != 0) {
      host.logger().error("-steps-file: cannot write " + steps_file_ + ": " + std::strerror(errno));
      std::remove(temp.c_str());
    }
  }

  // -events: the logged points, after the run, as non-deferred events (the
  // target did not wait for them; the policy decided in the target).
  void submit_points(nmz::sdk::InspectorHost& host, nmz::native::RegionHeader& header) {
    std::uint64_t count = std::min(header.events_count, header.events_capacity);
    if (header.events_count > count) {
      host.logger().warn("-events: reporting the first " + std::to_string(count) + " of " +
                         std::to_string(header.events_count) + " scheduling points");
    }
    const nmz::native::PointRecord* points = nmz::native::events_array(&header);
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto& p = points[i];
      const char* function = nmz::native::op_name(static_cast<nmz::native::Op>(p.op));
      std::string thread = "T" + std::to_string(p.thread);
      std::string object = p.object_id == 0 ? std::string() : "o" + std::to_string(p.object_id);
      char address[32];
      std::snprintf(address, sizeof address, "0x%llx", static_cast<unsigned long long>(p.address));
      std::string option = "{\"function\":" + json_string(function) + ",\"thread\":" + json_string(thread) +
                           ",\"object\":" + json_string(object) + ",\"address\":" + json_string(address) +
                           ",\"blocked\":" + (p.blocked != 0 ? "true" : "false") + ",\"index\":" + std::to_string(i) + "}";
      auto event = nmz::sdk::make_event(std::string(host.entity_id()), nmz::sdk::event_class::c_function, false,
                                        std::move(option), std::string(function) + ":" + thread + ":" + object);
      if (auto status = host.submit(std::move(event)); !status) {
        host.logger().warn("-events: stopped after " + std::to_string(i) + " events: " + status.message());
        return;
      }
    }
  }

  // One non-deferred CFunctionEvent per run: what was scheduled and how it
  // ended, for the orchestrator's trace. Per-point events would put a queue
  // round trip on every lock, which is what this design avoids.
  void submit_summary(nmz::sdk::InspectorHost& host, const nmz::native::RegionHeader& header,
                      const nmz::native::RunPlan& plan, int exit_code, const std::string& report) {
    std::ostringstream option;
    option << "{\"function\":\"nmz_native_run\",\"command\":" << json_string(command_[0])
           << ",\"policy\":" << json_string(nmz::native::policy_name(schedule_.policy)) << ",\"depth\":"
           << schedule_.depth << ",\"steps\":" << plan.steps << ",\"seed\":" << json_string(std::to_string(plan.seed))
           << ",\"points\":" << header.points << ",\"choice_points\":" << header.decisions
           << ",\"threads\":" << header.threads << ",\"steals\":" << header.steals
           << ",\"divergences\":" << header.divergences << ",\"exit_code\":" << exit_code
           << ",\"deadlock\":" << json_string(report) << "}";
    auto event = nmz::sdk::make_event(std::string(host.entity_id()), nmz::sdk::event_class::c_function, false, option.str(),
                                      "nmz_native_run:" + command_[0]);
    if (auto status = host.submit(std::move(event)); !status) {
      host.logger().debug("summary event not accepted: " + status.message());
    }
  }

  nmz::sdk::StopSignal stop_;
  nmz::sdk::InspectorHost* host_ = nullptr;  // during run()
  nmz::native::LoopOptions loop_;
  std::vector<Launched> launched_;  // one per job slot
  std::vector<std::string> command_;
  Schedule schedule_;
  std::vector<std::uint16_t> replay_;
  std::string record_path_;
  std::string replay_path_;
  std::string steps_file_;
  std::string races_path_;
  std::uint64_t races_known_ = 0;
  std::string preload_;
  std::chrono::nanoseconds budget_{0};
  bool io_points_ = false;
  bool memory_points_ = false;
  int deadlock_exit_ = 86;
  std::uint64_t events_ = 0;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_inspector("native", &nmz::sdk::make_inspector<NativeInspector>,
                          "controlled thread scheduling at pthread sync points (LD_PRELOAD): pct, random-walk");
}

}  // namespace

NMZ_PLUGIN("native", "0.3.0", "Native thread-interleaving inspector", register_components)
