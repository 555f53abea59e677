// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nmz/sdk/child_process.hpp>
#include <nmz/sdk/inspector.hpp>

#include "action_mailbox.hpp"
#include "error_once.hpp"
#include "pause_controller.hpp"
#include "proc_connector.hpp"
#include "proc_options.hpp"
#include "process_tree.hpp"
#include "sched_applier.hpp"

namespace nmz::plugins::proc {

// One inspection of one process tree, on the thread that called
// Inspector::run: follows the tree through process-event notifications (and
// /proc rescans), sends a ProcSetEvent for every birth and every watch
// interval without waiting for its answer, applies each ProcSetSchedAction
// as it arrives, and undoes everything at the end.
//
// Every event lists the whole tree and every action is applied whole: a
// policy decides for the set (random's squeeze puts all threads on one CPU
// drawn per decision; applying a plan to the newborn threads only would
// scatter them over CPUs).
class InspectionLoop {
 public:
  using Clock = std::chrono::steady_clock;

  InspectionLoop(sdk::InspectorHost& host, const ProcOptions& options, ActionMailbox& mailbox);
  InspectionLoop(const InspectionLoop&) = delete;
  InspectionLoop& operator=(const InspectionLoop&) = delete;
  ~InspectionLoop();

  sdk::Inspector::Outcome run();

 private:
  sdk::Status start_target();
  void wait_for_events(Clock::time_point deadline);
  void read_notifications();
  void rescan();
  void on_born(int tid);
  void on_exited(int tid, int tgid);
  // The attributes a thread born under nmz would have had without it: its
  // process's, inherited from the creating process for a new process.
  sdk::SchedAttr baseline_for(int pid);
  void submit(bool for_births);
  void apply(const sdk::Action& action);
  void open_gate();
  int finish_target();

  sdk::InspectorHost& host_;
  sdk::Logger& logger_;
  const ProcOptions& options_;
  ActionMailbox& mailbox_;
  ErrorOnce errors_;
  SchedApplier sched_;
  PauseController pauses_;
  std::optional<ProcConnector> connector_;
  std::unique_ptr<ProcessTree> tree_;
  int root_ = 0;
  std::optional<sdk::ChildProcess> command_;  // when nmz started the target
  bool root_exited_ = false;
  int pidfd_ = -1;
  bool held_ = false;  // the command has not exec'd yet
  Clock::time_point gate_deadline_;
  bool any_action_applied_ = false;

  std::map<int, sdk::SchedAttr> baselines_;  // per member process
  bool births_pending_ = false;
  bool submit_failed_reported_ = false;
  bool bad_action_reported_ = false;
  long events_ = 0;
  long birth_events_ = 0;
};

}  // namespace nmz::plugins::proc
