// SPDX-License-Identifier: Apache-2.0
#include "container/realtime_budget.hpp"

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

}  // namespace

RealtimeBudget::Grant RealtimeBudget::grant(pid_t pid) {
  Grant result;
  const std::string mount = cpu_hierarchy_mount();
  const std::string path = cpu_cgroup_of(pid);
  if (mount.empty() || path.empty() || path == "/") return result;
  const std::string file = "/cpu.rt_runtime_us";
  result.cgroup = mount + path;
  const std::string current = read_first_line(result.cgroup + file);
  if (current.empty() || current != "0") return result;  // no RT group scheduling, or a budget already
  result.needed = true;
  // Top-down: a cgroup's budget must fit in its parent's.
  const std::string value = std::to_string(kContainerRealtimeRuntimeUs);
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string directory = mount + path.substr(0, slash);
    const std::string previous = read_first_line(directory + file);
    if (previous == "0") {
      std::string error;
      if (!write_value(directory + file, value, error)) {
        result.problem = error;
        restore();
        return result;
      }
      changed_.emplace_back(directory + file, previous);
    }
    if (slash == std::string::npos) break;
  }
  result.granted = true;
  return result;
}

void RealtimeBudget::restore() {
  for (auto it = changed_.rbegin(); it != changed_.rend(); ++it) {
    std::string ignored;  // the container's own cgroup is gone once it exited
    write_value(it->first, it->second, ignored);
  }
  changed_.clear();
}

}  // namespace nmz::core::container
