// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nmz/sdk/proc_sched.hpp>
#include <nmz/sdk/restore_record.hpp>

namespace nmz::plugins::proc {

// The restore record of the threads nmz changed (nmz::sdk::RestoreRecord):
// if nmz is killed, `nmz tools cleanup` or the next nmz puts each thread's
// original policy, priority, nice value and affinity back with chrt,
// renice and taskset, provided the thread id still names the same thread
// (its start time is checked). Not thread-safe: the inspector's loop only.
class SchedRestoreRecord {
 public:
  // Adds `tid` (first change only); rewrites the record.
  void note(int tid, const sdk::SchedAttr& original);
  // Everything was restored: the record goes.
  void clear();

  // The shell command that restores one thread; public for tests.
  static std::string undo_command(int tid, const std::string& start_time, const sdk::SchedAttr& original);

 private:
  std::optional<sdk::RestoreRecord> record_;
  std::map<int, std::string> undo_;  // per thread
  bool failed_ = false;  // warned once already
};

}  // namespace nmz::plugins::proc
