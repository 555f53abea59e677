// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace nmz::core::container {

// With cgroup v1 realtime group scheduling (cpu.rt_runtime_us files), an
// engine puts each container in a cpu cgroup with no realtime budget, so
// SCHED_RR/SCHED_FIFO for its threads fails with EPERM. grant() gives the
// container's cgroup (and its ancestors that have none) a budget; the
// destructor gives back exactly what it changed.
class RealtimeBudget {
 public:
  RealtimeBudget() = default;
  RealtimeBudget(const RealtimeBudget&) = delete;
  RealtimeBudget& operator=(const RealtimeBudget&) = delete;
  ~RealtimeBudget() { restore(); }

  struct Grant {
    bool needed = false;   // the container's cgroup had no budget
    bool granted = false;  // and now has one
    std::string cgroup;    // the container's cpu cgroup directory
    std::string problem;   // why no budget could be given
  };
  // For the cpu cgroup of process `pid`.
  Grant grant(pid_t pid);
  // Puts back the values grant() replaced, innermost first.
  void restore();

 private:
  std::vector<std::pair<std::string, std::string>> changed_;  // file, previous value
};

// The microseconds per period given to each cgroup on the way: a quarter of
// the default 1 s period, leaving the rest of the machine's realtime budget
// (0.95 s by default) to everything else.
inline constexpr long kContainerRealtimeRuntimeUs = 250000;

}  // namespace nmz::core::container
