// SPDX-License-Identifier: Apache-2.0
#include "sched_applier.hpp"

#include <cerrno>

#include "sched_syscalls.hpp"

namespace nmz::plugins::proc {
namespace {

std::string hint_for(int error_number, const sdk::SchedAttr& attr) {
  switch (error_number) {
    case EPERM: return "nmz needs CAP_SYS_NICE over the target (run it as root)";
    case EBUSY:
      return attr.policy == sdk::SchedPolicy::deadline
                 ? "SCHED_DEADLINE admission control refused the bandwidth (total runtime/period over the "
                   "limit of /proc/sys/kernel/sched_rt_runtime_us); those threads keep their previous attributes "
                   "and inspection goes on"
                 : "";
    case EINVAL:
      return "the kernel rejects these attributes (e.g. SCHED_RR/FIFO priority 0, deadline runtime > deadline, "
             "or CPUs outside the allowed set)";
    default: return "";
  }
}

}  // namespace

bool SchedApplier::remember_current(int tid) {
  if (originals_.contains(tid)) return true;
  auto current = read_thread_sched(tid);
  if (!current) return false;
  originals_.emplace(tid, std::move(*current));
  return true;
}

void SchedApplier::remember(int tid, sdk::SchedAttr original) { originals_.try_emplace(tid, std::move(original)); }

std::optional<sdk::SchedAttr> SchedApplier::original(int tid) const {
  auto it = originals_.find(tid);
  if (it == originals_.end()) return std::nullopt;
  return it->second;
}

void SchedApplier::forget(int tid) {
  originals_.erase(tid);
  narrowed_.erase(tid);
}

bool SchedApplier::write_affinity_reported(int tid, const std::vector<int>& cpus, const char* purpose) {
  int error = write_affinity(tid, cpus);
  if (error != 0 && error != ESRCH) {
    sdk::SchedAttr shown;
    shown.cpus = cpus;
    errors_.report("sched_setaffinity", error,
                   std::string("sched_setaffinity(tid ") + std::to_string(tid) + ", " + describe(shown) + ") " + purpose,
                   error == EINVAL ? "those CPUs are offline or outside the target's cpuset" : "");
  }
  return error == 0;
}

void SchedApplier::apply(int tid, sdk::SchedAttr wanted) {
  if (!remember_current(tid)) return;  // gone already
  const bool deadline = wanted.policy == sdk::SchedPolicy::deadline;
  if (deadline) {
    wanted.flags |= sdk::kSchedFlagResetOnFork;
    wanted.cpus.clear();
    if (narrowed_.erase(tid) > 0) write_affinity_reported(tid, originals_.at(tid).cpus, "(undoing a narrowed affinity)");
  }
  restore_record_.note(tid, originals_.at(tid));
  if (int error = write_sched_attr(tid, wanted); error == 0) {
    ++applied_;
  } else if (error != ESRCH) {
    errors_.report("sched_setattr", error, "sched_setattr(tid " + std::to_string(tid) + ", " + describe(wanted) + ")",
                   hint_for(error, wanted));
  }
  if (!wanted.cpus.empty() && write_affinity_reported(tid, wanted.cpus, "")) narrowed_.insert(tid);
}

void SchedApplier::restore_all() {
  if (applied_ == 0 && narrowed_.empty()) return;
  for (const auto& [tid, original] : originals_) {
    // A deadline original needs its wide affinity back before the policy.
    if (original.policy == sdk::SchedPolicy::deadline) write_affinity_reported(tid, original.cpus, "(restoring)");
    if (int error = write_sched_attr(tid, original); error != 0 && error != ESRCH) {
      errors_.report("sched_setattr", error,
                     "sched_setattr(tid " + std::to_string(tid) + ", " + describe(original) + ") (restoring)",
                     hint_for(error, original));
    }
    if (original.policy != sdk::SchedPolicy::deadline) write_affinity_reported(tid, original.cpus, "(restoring)");
  }
  narrowed_.clear();
  restore_record_.clear();
}

}  // namespace nmz::plugins::proc
