// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nmz/sdk/proc_sched.hpp>
#include <nmz/sdk/status.hpp>

// Raw sched_setattr(2)/sched_getattr(2) (glibc has no wrapper) and CPU
// affinity, per thread id.
namespace nmz::plugins::proc {

// A thread's current policy, flags, nice, priority, deadline parameters and
// CPU affinity (in `cpus`).
sdk::Result<sdk::SchedAttr> read_thread_sched(int tid);

// Applies everything but `cpus`. Returns 0 or the errno.
int write_sched_attr(int tid, const sdk::SchedAttr& attr);

// Returns 0 or the errno; an empty list is a no-op.
int write_affinity(int tid, const std::vector<int>& cpus);

// "SCHED_RR priority 5", "SCHED_BATCH nice -3", "SCHED_DEADLINE runtime 250us
// deadline 1ms period 1ms", with " cpus 0,1" when an affinity is given.
std::string describe(const sdk::SchedAttr& attr);

}  // namespace nmz::plugins::proc
