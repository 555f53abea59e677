// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <set>
#include <vector>

namespace nmz::plugins::proc {

// The threads of a process tree: the root process, every process born from
// a member (whichever of its threads forked, and even after it is
// reparented), and all their threads. Fed by process-event notifications
// (on_fork/on_exit) and corrected by /proc rescans. Not thread-safe.
class ProcessTree {
 public:
  // `excluded` is never a member (nmz itself, should the tree contain it).
  ProcessTree(int root_pid, int excluded_pid) : root_(root_pid), excluded_(excluded_pid) {}

  // A task `child_tid` of process `child_tgid` was created; `parent_tgid` is
  // the process that created it when it is a new process. Returns true if
  // it joined the tree (new thread of a member, or new process of a member).
  bool on_fork(int parent_tgid, int child_tid, int child_tgid);
  // Task `tid` of `tgid` exited. Returns true if it was a member.
  bool on_exit(int tid, int tgid);

  // Re-reads /proc: finds threads and processes that notifications missed
  // and drops the ones that are gone. Returns the thread ids that were not
  // members before.
  std::vector<int> rescan();

  [[nodiscard]] bool contains_thread(int tid) const;
  [[nodiscard]] bool contains_process(int pid) const { return processes_.contains(pid); }
  [[nodiscard]] std::vector<int> thread_ids() const;
  [[nodiscard]] std::vector<int> process_ids() const;
  // The process of a member thread, or 0.
  [[nodiscard]] int process_of(int tid) const;
  // The member process that created `pid`, or 0 (the root, or unknown).
  [[nodiscard]] int parent_of(int pid) const;
  [[nodiscard]] int root() const noexcept { return root_; }

 private:
  struct Process {
    int parent = 0;
    std::set<int> threads;
  };
  void add_thread(int tgid, int tid);

  int root_;
  int excluded_;
  std::map<int, Process> processes_;
  std::map<int, int> thread_owner_;  // tid -> tgid
};

}  // namespace nmz::plugins::proc
