// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace nmz::core::container {

// With cgroup v1 realtime group scheduling (cpu.rt_runtime_us files), an
// engine puts each container in a cpu cgroup with no realtime budget, so
// SCHED_RR/SCHED_FIFO for its threads fails with EPERM. grant() gives the
// container's cgroup a budget and makes room for it in every ancestor; the
// destructor takes back exactly that.
//
// The ancestors (Podman's libpod_parent, ...) are shared with every other
// container on the machine, and a parent's budget must cover the sum of its
// children's. So an ancestor is never set to a value and later "restored"
// (which would take the budget of a container started meanwhile): each nmz
// adds its share to what is there and subtracts it again, under an flock on
// the cpu hierarchy's root directory that serialises these read-modify-write
// steps between nmz processes.
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
  // For cgroup `path` ("/libpod_parent/libpod-ID") of the cpu hierarchy
  // mounted at `mount`: what grant(pid) does once it found them.
  Grant grant_in(const std::string& mount, const std::string& path);
  // Takes back what grant() gave, innermost first.
  void restore();

 private:
  void restore_locked();

  std::string mount_;                   // the hierarchy's root, locked while changing budgets
  std::string own_file_;                // the container's cpu.rt_runtime_us, "" if untouched
  std::vector<std::string> ancestors_;  // cpu.rt_runtime_us files raised, outermost first
};

// The microseconds per period given to each cgroup on the way: a quarter of
// the default 1 s period, leaving the rest of the machine's realtime budget
// (0.95 s by default) to everything else.
inline constexpr long kContainerRealtimeRuntimeUs = 250000;

}  // namespace nmz::core::container
