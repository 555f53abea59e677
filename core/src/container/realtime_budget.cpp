// SPDX-License-Identifier: Apache-2.0
#include "container/realtime_budget.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace nmz::core::container {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool write_value(const std::string& path, const std::string& value, std::string& error) {
  std::ofstream out(path);
  out << value << std::flush;
  if (out) return true;
  error = path + ": " + std::strerror(errno);
  return false;
}

bool has_word(const std::string& list, const std::string& word) {
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == word) return true;
  }
  return false;
}

// Where the cgroup v1 hierarchy with the cpu controller is mounted, "" if
// none.
std::string cpu_hierarchy_mount() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto separator = line.find(" - ");
    if (separator == std::string::npos) continue;
    std::stringstream tail(line.substr(separator + 3));
    std::string type, source, super_options;
    tail >> type >> source >> super_options;
    if (type != "cgroup" || !has_word(super_options, "cpu")) continue;
    std::stringstream head(line.substr(0, separator));
    std::string id, parent, device, root, mount_point;
    head >> id >> parent >> device >> root >> mount_point;
    return mount_point;
  }
  return "";
}

// The path of `pid`'s cgroup in the cpu hierarchy ("/a/b"), "" if none.
std::string cpu_cgroup_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    if (has_word(line.substr(first + 1, second - first - 1), "cpu")) return line.substr(second + 1);
  }
  return "";
}

// Holds an flock on the cpu hierarchy's root for the scope: every nmz
// process changes shared ancestors' budgets only while holding it.
class HierarchyLock {
 public:
  explicit HierarchyLock(const std::string& mount) : fd_(::open(mount.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  HierarchyLock(const HierarchyLock&) = delete;
  HierarchyLock& operator=(const HierarchyLock&) = delete;
  ~HierarchyLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  int fd_;
};

// Adds `delta` microseconds to the budget in `file`, never going below 0;
// leaves an unlimited budget (-1) alone.
bool add_runtime(const std::string& file, long delta, std::string& error) {
  const std::string current = read_first_line(file);
  long value = 0;
  try {
    value = std::stol(current);
  } catch (const std::exception&) {
    error = file + ": unreadable budget \"" + current + "\"";
    return false;
  }
  if (value < 0) return true;
  return write_value(file, std::to_string(std::max(0L, value + delta)), error);
}

}  // namespace

RealtimeBudget::Grant RealtimeBudget::grant(pid_t pid) { return grant_in(cpu_hierarchy_mount(), cpu_cgroup_of(pid)); }

RealtimeBudget::Grant RealtimeBudget::grant_in(const std::string& mount, const std::string& path) {
  Grant result;
  if (mount.empty() || path.empty() || path == "/") return result;
  const std::string file = "/cpu.rt_runtime_us";
  result.cgroup = mount + path;
  const std::string current = read_first_line(result.cgroup + file);
  if (current.empty() || current != "0") return result;  // no RT group scheduling, or a budget already
  result.needed = true;
  mount_ = mount;
  HierarchyLock lock(mount_);
  // Top-down: a cgroup's budget must fit in its parent's, which must
  // therefore grow first.
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string ancestor = mount + path.substr(0, slash) + file;
    if (!add_runtime(ancestor, kContainerRealtimeRuntimeUs, result.problem)) {
      restore_locked();
      return result;
    }
    ancestors_.push_back(ancestor);
  }
  if (!write_value(result.cgroup + file, std::to_string(kContainerRealtimeRuntimeUs), result.problem)) {
    restore_locked();
    return result;
  }
  own_file_ = result.cgroup + file;
  result.granted = true;
  return result;
}

void RealtimeBudget::restore() {
  if (own_file_.empty() && ancestors_.empty()) return;
  HierarchyLock lock(mount_);
  restore_locked();
}

void RealtimeBudget::restore_locked() {
  std::string ignored;  // the container's own cgroup is gone once it exited
  if (!own_file_.empty()) write_value(own_file_, "0", ignored);
  own_file_.clear();
  for (auto it = ancestors_.rbegin(); it != ancestors_.rend(); ++it) {
    add_runtime(*it, -kContainerRealtimeRuntimeUs, ignored);
  }
  ancestors_.clear();
}

}  // namespace nmz::core::container
