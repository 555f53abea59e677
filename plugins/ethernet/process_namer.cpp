// SPDX-License-Identifier: Apache-2.0
#include "process_namer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <memory>

namespace nmz::plugins::ethernet {
namespace {

std::string read_file(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  std::array<char, 16384> buffer{};
  ssize_t n = 0;
  while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) text.append(buffer.data(), static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

std::optional<std::uint64_t> inode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_ino);
}

std::optional<int> pid_of(const char* name) {
  int pid = 0;
  const char* end = name + std::char_traits<char>::length(name);
  auto [ptr, error] = std::from_chars(name, end, pid);
  if (error != std::errc() || ptr != end || pid <= 0) return std::nullopt;
  return pid;
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using Dir = std::unique_ptr<DIR, DirCloser>;

}  // namespace

ProcessNamer::ProcessNamer(std::uint16_t ephemeral_low, std::string proc_root)
    : ephemeral_low_(ephemeral_low), proc_root_(std::move(proc_root)),
      own_netns_(inode_of(proc_root_ + "/self/ns/net")) {}

std::optional<std::string> ProcessNamer::name(Transport transport, const Endpoint& local, const Endpoint& remote) {
  // What is already known answers most new flows: the servers' listening
  // sockets and the earlier connections. A new client socket needs a scan.
  std::optional<int> pid = owners_.owner(transport, local, remote);
  for (bool full : {false, true}) {
    if (pid) break;
    scan(full);
    pid = owners_.owner(transport, local, remote);
  }
  if (!pid) return std::nullopt;
  auto [it, added] = names_.try_emplace(*pid);
  if (added) it->second = process_node_name(local.address, owners_.sockets_of(*pid), read_comm(*pid), ephemeral_low_);
  return it->second;
}

void ProcessNamer::scan(bool full) {
  ++scans_;
  if (full) foreign_pids_.clear();
  std::vector<SocketRow> sockets;
  for (auto [file, transport] : {std::pair{"tcp", Transport::tcp}, std::pair{"tcp6", Transport::tcp},
                                 std::pair{"udp", Transport::udp}, std::pair{"udp6", Transport::udp}}) {
    auto rows = parse_proc_net_sockets(read_file(proc_root_ + "/self/net/" + file), transport);
    sockets.insert(sockets.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
  }
  owners_.set_sockets(std::move(sockets));
  owners_.clear_owners();
  Dir proc(::opendir(proc_root_.c_str()));
  if (!proc) return;
  std::array<char, 64> link{};
  while (dirent* entry = ::readdir(proc.get())) {
    auto pid = pid_of(entry->d_name);
    if (!pid || foreign_pids_.contains(*pid)) continue;
    const std::string base = proc_root_ + "/" + entry->d_name;
    // Sockets belong to the namespace they were created in: a process of
    // another namespace holds none of these (short of fd passing).
    if (own_netns_ && inode_of(base + "/ns/net") != own_netns_) {
      foreign_pids_.insert(*pid);
      continue;
    }
    const std::string fd_dir = base + "/fd";
    Dir fds(::opendir(fd_dir.c_str()));
    if (!fds) continue;  // gone, or not ours to read
    while (dirent* fd = ::readdir(fds.get())) {
      if (fd->d_name[0] == '.') continue;
      ssize_t n = ::readlinkat(::dirfd(fds.get()), fd->d_name, link.data(), link.size());
      if (n <= 0) continue;
      if (auto inode = socket_inode_of_link(std::string_view(link.data(), static_cast<std::size_t>(n)))) {
        owners_.add_owner(*inode, *pid);
      }
    }
  }
}

std::string ProcessNamer::read_comm(int pid) const {
  std::string comm = read_file(proc_root_ + "/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
  return comm.empty() ? "pid" : comm;
}

}  // namespace nmz::plugins::ethernet
