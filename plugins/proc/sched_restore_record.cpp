// SPDX-License-Identifier: Apache-2.0
#include "sched_restore_record.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace nmz::plugins::proc {
namespace {

// Field 22 of /proc/<tid>/stat: when the thread started, in clock ticks
// since boot. Counted after the command name, which may hold spaces.
std::string start_time_of(int tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto end_of_name = text.rfind(')');
  if (end_of_name == std::string::npos) return {};
  std::istringstream fields(text.substr(end_of_name + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  return field;
}

std::string chrt_arguments(const sdk::SchedAttr& attr) {
  switch (attr.policy) {
    case sdk::SchedPolicy::fifo: return "-f -p " + std::to_string(attr.priority);
    case sdk::SchedPolicy::rr: return "-r -p " + std::to_string(attr.priority);
    case sdk::SchedPolicy::batch: return "-b -p 0";
    case sdk::SchedPolicy::idle: return "-i -p 0";
    case sdk::SchedPolicy::deadline:
      return "-d --sched-runtime " + std::to_string(attr.runtime.count()) + " --sched-deadline " +
             std::to_string(attr.deadline.count()) + " --sched-period " + std::to_string(attr.period.count()) + " -p 0";
    case sdk::SchedPolicy::normal: break;
  }
  return "-o -p 0";
}

}  // namespace

std::string SchedRestoreRecord::undo_command(int tid, const std::string& start_time, const sdk::SchedAttr& original) {
  const std::string id = std::to_string(tid);
  std::string cpus;
  for (int cpu : original.cpus) cpus += (cpus.empty() ? "" : ",") + std::to_string(cpu);
  std::string command = "if [ \"$(sed 's/.*) //' /proc/" + id + "/stat 2>/dev/null | cut -d' ' -f20)\" = \"" +
                        start_time + "\" ]; then ";
  // A deadline thread needs its wide affinity back before its policy.
  if (!cpus.empty()) command += "taskset -p -c " + cpus + " " + id + " >/dev/null; ";
  command += "chrt " + chrt_arguments(original) + " " + id + "; renice -n " + std::to_string(original.nice) + " -p " +
             id + " >/dev/null; fi";
  return command;
}

void SchedRestoreRecord::note(int tid, const sdk::SchedAttr& original) {
  if (undo_.contains(tid) || failed_) return;
  undo_[tid] = undo_command(tid, start_time_of(tid), original);
  if (!record_) {
    auto created = sdk::RestoreRecord::create("proc inspector: scheduler attributes of the threads it changed");
    if (!created) {
      failed_ = true;
      std::cerr << "nmz inspectors proc: if nmz is killed, `nmz tools cleanup` cannot restore the threads: "
                << created.status().message() << "\n";
      return;
    }
    record_.emplace(std::move(created).value());
  }
  std::vector<sdk::RestoreStep> steps;
  for (const auto& [id, command] : undo_) steps.push_back({{"sh", "-c", command}, ""});
  (void)record_->set_steps(steps);
}

void SchedRestoreRecord::clear() {
  record_.reset();
  undo_.clear();
}

}  // namespace nmz::plugins::proc
