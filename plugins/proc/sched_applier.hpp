// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <optional>
#include <set>

#include <nmz/sdk/proc_sched.hpp>

#include "error_once.hpp"
#include "sched_restore_record.hpp"

namespace nmz::plugins::proc {

// Applies policy decisions to threads and puts every thread back as it was
// when inspection stops. A thread's original attributes are recorded before
// the first change: read from the kernel for threads that existed when nmz
// started, or given by the caller for threads born later (which inherited
// perturbed attributes from their creator, so their own are not original).
// Not thread-safe: used from the inspector's loop only.
class SchedApplier {
 public:
  explicit SchedApplier(ErrorOnce& errors) : errors_(errors) {}

  // Records what the thread has now as its original; false if it is gone.
  bool remember_current(int tid);
  void remember(int tid, sdk::SchedAttr original);
  [[nodiscard]] std::optional<sdk::SchedAttr> original(int tid) const;
  void forget(int tid);

  // Sets policy and parameters, then the affinity in `wanted.cpus` if any.
  // SCHED_DEADLINE threads always get SCHED_FLAG_RESET_ON_FORK (the kernel
  // refuses fork() to deadline threads without it, which would break the
  // target in a way no real schedule could) and keep their original
  // affinity (the kernel refuses deadline threads a narrowed one).
  void apply(int tid, sdk::SchedAttr wanted);

  // Writes back the originals of all remembered threads still alive, if
  // anything was ever changed.
  void restore_all();

  [[nodiscard]] long applied_count() const noexcept { return applied_; }

 private:
  bool write_affinity_reported(int tid, const std::vector<int>& cpus, const char* purpose);

  ErrorOnce& errors_;
  std::map<int, sdk::SchedAttr> originals_;
  std::set<int> narrowed_;  // threads whose affinity nmz changed
  long applied_ = 0;  // successful sched_setattr calls
  SchedRestoreRecord restore_record_;  // for when nmz is killed before restore_all
};

}  // namespace nmz::plugins::proc
