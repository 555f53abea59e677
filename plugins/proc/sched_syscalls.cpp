// SPDX-License-Identifier: Apache-2.0
#include "sched_syscalls.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <nmz/sdk/duration.hpp>

namespace nmz::plugins::proc {
namespace {

// The kernel's struct sched_attr, first version (48 bytes): the later
// utilisation-clamp fields are left out so that older kernels accept it.
struct KernelSchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime;
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
};
static_assert(sizeof(KernelSchedAttr) == 48);

std::uint64_t to_ns(std::chrono::nanoseconds d) { return d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count()); }

const char* policy_name(sdk::SchedPolicy policy) {
  switch (policy) {
    case sdk::SchedPolicy::normal: return "SCHED_OTHER";
    case sdk::SchedPolicy::fifo: return "SCHED_FIFO";
    case sdk::SchedPolicy::rr: return "SCHED_RR";
    case sdk::SchedPolicy::batch: return "SCHED_BATCH";
    case sdk::SchedPolicy::idle: return "SCHED_IDLE";
    case sdk::SchedPolicy::deadline: return "SCHED_DEADLINE";
  }
  return "SCHED_?";
}

}  // namespace

sdk::Result<sdk::SchedAttr> read_thread_sched(int tid) {
  KernelSchedAttr k{};
  if (syscall(SYS_sched_getattr, tid, &k, sizeof k, 0) != 0) {
    return sdk::Status::error(errno == ESRCH ? sdk::StatusCode::not_found : sdk::StatusCode::internal,
                              "sched_getattr(" + std::to_string(tid) + "): " + std::strerror(errno));
  }
  sdk::SchedAttr attr;
  attr.policy = static_cast<sdk::SchedPolicy>(k.sched_policy);
  attr.flags = k.sched_flags;
  attr.nice = k.sched_nice;
  attr.priority = k.sched_priority;
  // Fair policies report their time slice here, which written back would
  // become a custom slice request: only deadline parameters are kept.
  if (attr.policy == sdk::SchedPolicy::deadline) {
    attr.runtime = std::chrono::nanoseconds(k.sched_runtime);
    attr.deadline = std::chrono::nanoseconds(k.sched_deadline);
    attr.period = std::chrono::nanoseconds(k.sched_period);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(tid, sizeof set, &set) != 0) {
    return sdk::Status::error(errno == ESRCH ? sdk::StatusCode::not_found : sdk::StatusCode::internal,
                              "sched_getaffinity(" + std::to_string(tid) + "): " + std::strerror(errno));
  }
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) attr.cpus.push_back(cpu);
  }
  return attr;
}

int write_sched_attr(int tid, const sdk::SchedAttr& attr) {
  KernelSchedAttr k{};
  k.size = sizeof k;
  k.sched_policy = static_cast<std::uint32_t>(attr.policy);
  k.sched_flags = attr.flags;
  k.sched_nice = attr.nice;
  k.sched_priority = attr.priority;
  k.sched_runtime = to_ns(attr.runtime);
  k.sched_deadline = to_ns(attr.deadline);
  k.sched_period = to_ns(attr.period);
  return syscall(SYS_sched_setattr, tid, &k, 0) == 0 ? 0 : errno;
}

int write_affinity(int tid, const std::vector<int>& cpus) {
  if (cpus.empty()) return 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return EINVAL;
    CPU_SET(cpu, &set);
  }
  return sched_setaffinity(tid, sizeof set, &set) == 0 ? 0 : errno;
}

std::string describe(const sdk::SchedAttr& attr) {
  std::string text = policy_name(attr.policy);
  switch (attr.policy) {
    case sdk::SchedPolicy::fifo:
    case sdk::SchedPolicy::rr: text += " priority " + std::to_string(attr.priority); break;
    case sdk::SchedPolicy::deadline:
      text += " runtime " + sdk::format_duration(attr.runtime) + " deadline " + sdk::format_duration(attr.deadline) +
              " period " + sdk::format_duration(attr.period);
      break;
    default: text += " nice " + std::to_string(attr.nice); break;
  }
  if (attr.flags != 0) text += " flags " + std::to_string(attr.flags);
  if (!attr.cpus.empty()) {
    text += " cpus ";
    for (std::size_t i = 0; i < attr.cpus.size(); ++i) text += (i ? "," : "") + std::to_string(attr.cpus[i]);
  }
  return text;
}

}  // namespace nmz::plugins::proc
