// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
  void submit(const std::vector<int>& born);
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
  bool own_child_ = false;
  bool root_exited_ = false;
  int pidfd_ = -1;
  int gate_fd_ = -1;  // held command not started yet
  Clock::time_point gate_deadline_;
  bool decided_all_once_ = false;

  std::map<int, sdk::SchedAttr> baselines_;  // per member process
  std::vector<int> pending_births_;
  std::set<int> decided_;  // threads that got at least one decision
  // Birth events still waiting for their action: only the newborn threads
  // of such an action are applied (the others are decided by ticks).
  std::map<std::string, std::vector<int>> births_;
  std::deque<std::string> birth_order_;
  bool submit_failed_reported_ = false;
  bool bad_action_reported_ = false;
  long events_ = 0;
  long birth_events_ = 0;
};

}  // namespace nmz::plugins::proc
