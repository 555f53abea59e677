// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

// ProcSetEvent / ProcSetSchedAction: the proc inspector reports the threads of
// a process tree, a policy answers with scheduler attributes for them.
namespace nmz::sdk {

// Linux scheduling policies (sched(7)); values are the kernel's.
enum class SchedPolicy : std::uint32_t { normal = 0, fifo = 1, rr = 2, batch = 3, idle = 5, deadline = 6 };
inline constexpr std::uint64_t kSchedFlagResetOnFork = 1;

// One thread's wanted attributes, as sched_setattr(2) takes them. Serialised
// with Namazu's capitalised Go field names (Policy, Flags, Nice, Priority,
// Runtime, Deadline, Period; durations in integer nanoseconds). `cpus`, when
// not empty, is an nmz extension ("Cpus"): the CPU affinity to apply.
struct SchedAttr {
  SchedPolicy policy = SchedPolicy::normal;
  std::uint64_t flags = 0;
  std::int32_t nice = 0;
  std::uint32_t priority = 0;
  std::chrono::nanoseconds runtime{0};
  std::chrono::nanoseconds deadline{0};
  std::chrono::nanoseconds period{0};
  std::vector<int> cpus;
};

// What a ProcSetSchedAction asks for: attributes per thread id, and (nmz
// extension, option "pauses") processes to stop with SIGSTOP for a while.
struct ProcSchedPlan {
  std::map<int, SchedAttr> attrs;
  std::map<int, std::chrono::nanoseconds> pauses;
};

// A non-deferred ProcSetEvent listing `tids` as decimal strings under "procs".
// `pids` (nmz extension, option "pids") lists the processes those threads
// belong to, for process-level decisions such as pauses.
Event make_proc_set_event(std::string entity, const std::vector<int>& tids,
                                      const std::vector<int>& pids = {});
Result<std::vector<int>> proc_set_tids(const Event& event);
Result<std::vector<int>> proc_set_pids(const Event& event);

Action make_proc_set_sched_action(const Event& event, const ProcSchedPlan& plan);
Result<ProcSchedPlan> proc_sched_plan(const Action& action);

}  // namespace nmz::sdk
