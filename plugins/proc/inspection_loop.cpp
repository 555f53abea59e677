// SPDX-License-Identifier: Apache-2.0
#include "inspection_loop.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nmz/sdk/duration.hpp>
#include <nmz/sdk/proc_sched.hpp>

#include "sched_syscalls.hpp"
#include "target_command.hpp"

namespace nmz::plugins::proc {
namespace {

// Without notifications, births are found by rescanning this often.
constexpr auto kFallbackRescan = std::chrono::milliseconds(10);
// With them, rescans are only a safety net.
constexpr auto kSafetyRescan = std::chrono::milliseconds(100);
// How long a command gets to exit after nmz forwarded SIGTERM to it.
constexpr auto kTermGrace = std::chrono::seconds(10);
// A command waits at most this long for its first decision (policies such
// as dumb never send one).
constexpr auto kGateTimeout = std::chrono::milliseconds(50);
// The loop outranks any priority a policy gives the target (random's
// extreme uses 1..9), so that it can still continue paused processes and
// restore attributes when the target hogs every CPU.
constexpr std::uint32_t kLoopPriority = 50;

timespec to_timespec(std::chrono::nanoseconds d) {
  if (d.count() < 0) d = std::chrono::nanoseconds(0);
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(d);
  return timespec{static_cast<time_t>(seconds.count()), static_cast<long>((d - seconds).count())};
}

bool wait_readable(int fd, std::chrono::nanoseconds timeout) {
  pollfd entry{fd, POLLIN, 0};
  timespec ts = to_timespec(timeout);
  int ready = 0;
  while ((ready = ppoll(&entry, 1, &ts, nullptr)) < 0 && errno == EINTR) {
  }
  return ready > 0;
}

}  // namespace

InspectionLoop::InspectionLoop(sdk::InspectorHost& host, const ProcOptions& options, ActionMailbox& mailbox)
    : host_(host),
      logger_(host.logger()),
      options_(options),
      mailbox_(mailbox),
      errors_(host.logger()),
      sched_(errors_),
      pauses_(errors_) {}

InspectionLoop::~InspectionLoop() {
  if (pidfd_ >= 0) close(pidfd_);
}

void InspectionLoop::open_gate() {
  if (!held_) return;
  command_->release();
  held_ = false;
}

sdk::Status InspectionLoop::start_target() {
  if (options_.argv.empty()) {
    root_ = options_.pid;
  } else {
    auto command = start_held_command(options_.argv, options_.stdout_path, options_.stderr_path);
    if (!command) return command.status();
    command_.emplace(std::move(command).value());
    root_ = command_->pid();
    held_ = true;
    gate_deadline_ = Clock::now() + kGateTimeout;
  }
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, root_, 0));
  if (pidfd_ < 0) {
    if (errno == ESRCH) {
      return sdk::Status::error(sdk::StatusCode::not_found,
                                "process " + std::to_string(root_) + " exited before inspection started");
    }
    return sdk::Status::error(sdk::StatusCode::internal, std::string("pidfd_open: ") + std::strerror(errno));
  }
  return sdk::Status::ok();
}

sdk::Inspector::Outcome InspectionLoop::run() {
  // Subscribe before starting the command, so that no thread it creates is
  // born unseen.
  if (auto connector = ProcConnector::open()) {
    connector_.emplace(std::move(*connector));
  } else {
    logger_.warn(connector.status().message() + "; new threads are found by rescanning /proc every " +
                 sdk::format_duration(kFallbackRescan) + " instead of when they are born");
  }
  if (auto status = start_target(); !status) return {status, 1};
  const int loop_tid = static_cast<int>(gettid());
  auto host_thread_attr = read_thread_sched(loop_tid);
  sdk::SchedAttr loop_attr;
  loop_attr.policy = sdk::SchedPolicy::rr;
  loop_attr.priority = kLoopPriority;
  loop_attr.flags = sdk::kSchedFlagResetOnFork;  // the guardian must not inherit it
  if (int error = write_sched_attr(loop_tid, loop_attr); error != 0) {
    logger_.debug(std::string("inspector loop keeps normal priority: ") + std::strerror(error));
  }
  tree_ = std::make_unique<ProcessTree>(root_, getpid());
  for (int tid : tree_->rescan()) sched_.remember_current(tid);
  for (int pid : tree_->process_ids()) {
    if (auto attr = sched_.original(pid)) baselines_.emplace(pid, *attr);
  }
  logger_.info("inspecting process " + std::to_string(root_) + " and its descendants (" +
               std::to_string(tree_->thread_ids().size()) + " threads), watch interval " +
               sdk::format_duration(options_.watch_interval) +
               (connector_ ? ", births caught by the process-events connector" : ""));

  const auto rescan_period = connector_ ? std::max<std::chrono::nanoseconds>(options_.watch_interval, kSafetyRescan)
                                        : std::chrono::nanoseconds(kFallbackRescan);
  auto next_tick = Clock::now();
  auto next_rescan = next_tick + rescan_period;
  std::vector<sdk::Action> actions;
  while (!mailbox_.stop_requested() && !root_exited_) {
    auto deadline = std::min(next_tick, next_rescan);
    if (auto resume = pauses_.next_resume()) deadline = std::min(deadline, *resume);
    if (held_) deadline = std::min(deadline, gate_deadline_);
    wait_for_events(deadline);
    read_notifications();
    auto now = Clock::now();
    if (now >= next_rescan) {
      rescan();
      next_rescan = now + rescan_period;
    }
    actions.clear();
    mailbox_.take(actions);
    for (const auto& action : actions) apply(action);
    if (now >= next_tick) {
      submit(false);
      next_tick += options_.watch_interval;
      if (next_tick < now) next_tick = now + options_.watch_interval;
    } else if (births_pending_) {
      submit(true);
    }
    births_pending_ = false;
    if (held_ && (any_action_applied_ || Clock::now() >= gate_deadline_)) open_gate();
    pauses_.resume_due(Clock::now());
  }
  mailbox_.close();
  open_gate();
  pauses_.resume_all();
  sched_.restore_all();
  // Back to the host's attributes before reaping: the target's threads are
  // restored, so nothing can starve this thread any more. At SCHED_RR the
  // reap was seen spinning for minutes in wait4 (the kernel invalidating
  // the child's /proc entries); moving that process to SCHED_OTHER ended it
  // at once. Another such process kept spinning after the move, so RT
  // priority may not be the whole cause.
  if (host_thread_attr) write_sched_attr(loop_tid, *host_thread_attr);
  int exit_code = finish_target();
  std::string summary = "sent " + std::to_string(events_) + " ProcSetEvents (" + std::to_string(birth_events_) +
                        " for births), applied " + std::to_string(sched_.applied_count()) + " thread decisions and " +
                        std::to_string(pauses_.pause_count()) + " pauses; scheduler attributes restored";
  if (auto failures = errors_.summary(); !failures.empty()) summary += "; failures: " + failures;
  logger_.info(summary);
  return {sdk::Status::ok(), exit_code};
}

void InspectionLoop::wait_for_events(Clock::time_point deadline) {
  pollfd fds[3] = {{mailbox_.fd(), POLLIN, 0}, {pidfd_, POLLIN, 0}, {connector_ ? connector_->fd() : -1, POLLIN, 0}};
  timespec timeout = to_timespec(deadline - Clock::now());
  if (ppoll(fds, 3, &timeout, nullptr) > 0 && (fds[1].revents & (POLLIN | POLLHUP)) != 0) root_exited_ = true;
}

void InspectionLoop::read_notifications() {
  if (!connector_) return;
  std::vector<ProcNotification> notifications;
  if (!connector_->drain(notifications)) {
    logger_.debug("process-events connector overflowed; rescanning /proc");
    rescan();
  }
  for (const auto& n : notifications) {
    if (n.kind == ProcNotification::Kind::fork) {
      if (tree_->on_fork(n.parent_tgid, n.tid, n.tgid)) on_born(n.tid);
    } else if (tree_->on_exit(n.tid, n.tgid)) {
      on_exited(n.tid, n.tgid);
    }
  }
}

void InspectionLoop::rescan() {
  std::vector<std::pair<int, int>> before;
  for (int tid : tree_->thread_ids()) before.emplace_back(tid, tree_->process_of(tid));
  for (int tid : tree_->rescan()) on_born(tid);
  for (auto [tid, pid] : before) {
    if (!tree_->contains_thread(tid)) on_exited(tid, pid);
  }
}

sdk::SchedAttr InspectionLoop::baseline_for(int pid) {
  if (auto it = baselines_.find(pid); it != baselines_.end()) return it->second;
  int parent = tree_->parent_of(pid);
  sdk::SchedAttr baseline;
  if (auto it = baselines_.find(parent); parent != 0 && it != baselines_.end()) {
    baseline = it->second;
  } else if (auto current = read_thread_sched(pid)) {
    baseline = std::move(*current);
  }
  baselines_.emplace(pid, baseline);
  return baseline;
}

void InspectionLoop::on_born(int tid) {
  sched_.remember(tid, baseline_for(tree_->process_of(tid)));
  births_pending_ = true;
}

void InspectionLoop::on_exited(int tid, int tgid) {
  sched_.forget(tid);
  if (!tree_->contains_process(tgid)) {
    baselines_.erase(tgid);
    pauses_.forget(tgid);
  }
}

void InspectionLoop::submit(bool for_births) {
  auto tids = tree_->thread_ids();
  if (tids.empty()) return;
  sdk::Event event = sdk::make_proc_set_event(std::string(host_.entity_id()), tids, tree_->process_ids());
  if (for_births) ++birth_events_;
  ++events_;
  if (auto status = host_.submit(std::move(event)); !status && !submit_failed_reported_) {
    submit_failed_reported_ = true;
    logger_.warn("ProcSetEvent not accepted: " + status.message());
  }
}

void InspectionLoop::apply(const sdk::Action& action) {
  auto plan = sdk::proc_sched_plan(action);
  if (!plan) {
    if (!bad_action_reported_) logger_.warn("ignoring action: " + plan.status().message());
    bad_action_reported_ = true;
    return;
  }
  for (const auto& [tid, attr] : plan->attrs) {
    if (tree_->contains_thread(tid)) sched_.apply(tid, attr);  // else gone, or an id reused outside the tree
  }
  any_action_applied_ = true;
  auto now = Clock::now();
  for (const auto& [pid, duration] : plan->pauses) {
    if (tree_->contains_process(pid)) pauses_.pause(pid, duration, now);
  }
}

int InspectionLoop::finish_target() {
  if (!command_) return 0;
  if (!root_exited_) {
    // Stopped by a signal: pass it on as SIGTERM, like a wrapper would.
    command_->signal(SIGTERM);
    if (!wait_readable(pidfd_, kTermGrace)) {
      logger_.warn("command " + std::to_string(root_) + " ignored SIGTERM for " + sdk::format_duration(kTermGrace) +
                   "; killing it");
      command_->signal(SIGKILL);
    }
  }
  return command_->wait().status;
}

}  // namespace nmz::plugins::proc
