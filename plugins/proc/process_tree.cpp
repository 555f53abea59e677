// SPDX-License-Identifier: Apache-2.0
#include "process_tree.hpp"

#include <charconv>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace nmz::plugins::proc {
namespace {

int parse_id(std::string_view text) {
  int id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return ec == std::errc() && end == text.data() + text.size() ? id : 0;
}

// Thread ids under /proc/PID/task; empty if the process is gone.
std::vector<int> list_tasks(int pid) {
  std::vector<int> tids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    if (int tid = parse_id(entry.path().filename().native()); tid > 0) tids.push_back(tid);
  }
  return tids;
}

// Children of every thread of `pid` (Namazu looked at the main thread's only
// and so missed processes forked by other threads).
std::vector<int> list_children(int pid, const std::vector<int>& tids) {
  std::vector<int> children;
  for (int tid : tids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/children");
    std::string word;
    while (in >> word) {
      if (int child = parse_id(word); child > 0) children.push_back(child);
    }
  }
  return children;
}

}  // namespace

void ProcessTree::add_thread(int tgid, int tid) {
  processes_[tgid].threads.insert(tid);
  thread_owner_[tid] = tgid;
}

bool ProcessTree::on_fork(int parent_tgid, int child_tid, int child_tgid) {
  if (child_tgid == excluded_) return false;
  if (child_tid != child_tgid) {
    // A new thread: it belongs to the tree if its process does.
    if (!processes_.contains(child_tgid)) return false;
    add_thread(child_tgid, child_tid);
    return true;
  }
  if (child_tgid != root_ && !processes_.contains(parent_tgid)) return false;
  if (processes_.contains(child_tgid)) return false;
  processes_[child_tgid].parent = child_tgid == root_ ? 0 : parent_tgid;
  add_thread(child_tgid, child_tid);
  return true;
}

bool ProcessTree::on_exit(int tid, int tgid) {
  auto owner = thread_owner_.find(tid);
  if (owner == thread_owner_.end()) return false;
  (void)tgid;  // a thread that exec()s takes its leader's id: trust our own record
  auto process = processes_.find(owner->second);
  thread_owner_.erase(owner);
  if (process != processes_.end()) {
    process->second.threads.erase(tid);
    if (process->second.threads.empty()) processes_.erase(process);
  }
  return true;
}

std::vector<int> ProcessTree::rescan() {
  std::map<int, Process> found;
  std::deque<std::pair<int, int>> pending{{root_, 0}};  // pid, parent
  // Members no longer reachable through /proc children (reparented to a
  // subreaper or init) stay members while they live.
  for (const auto& [pid, process] : processes_) pending.emplace_back(pid, process.parent);
  while (!pending.empty()) {
    auto [pid, parent] = pending.front();
    pending.pop_front();
    if (pid == excluded_ || found.contains(pid)) continue;
    std::vector<int> tids = list_tasks(pid);
    if (tids.empty()) continue;
    Process& process = found[pid];
    process.parent = parent;
    process.threads.insert(tids.begin(), tids.end());
    for (int child : list_children(pid, tids)) pending.emplace_back(child, pid);
  }
  std::vector<int> born;
  thread_owner_.clear();
  for (const auto& [pid, process] : found) {
    for (int tid : process.threads) {
      auto old = processes_.find(pid);
      if (old == processes_.end() || !old->second.threads.contains(tid)) born.push_back(tid);
      thread_owner_[tid] = pid;
    }
  }
  processes_ = std::move(found);
  return born;
}

bool ProcessTree::contains_thread(int tid) const { return thread_owner_.contains(tid); }

std::vector<int> ProcessTree::thread_ids() const {
  std::vector<int> tids;
  tids.reserve(thread_owner_.size());
  for (const auto& [tid, pid] : thread_owner_) tids.push_back(tid);
  return tids;
}

std::vector<int> ProcessTree::process_ids() const {
  std::vector<int> pids;
  pids.reserve(processes_.size());
  for (const auto& [pid, process] : processes_) pids.push_back(pid);
  return pids;
}

int ProcessTree::process_of(int tid) const {
  auto it = thread_owner_.find(tid);
  return it == thread_owner_.end() ? 0 : it->second;
}

int ProcessTree::parent_of(int pid) const {
  auto it = processes_.find(pid);
  return it == processes_.end() ? 0 : it->second.parent;
}

}  // namespace nmz::plugins::proc
