// SPDX-License-Identifier: Apache-2.0
#include "process_namer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <memory>
#include <utility>

namespace nmz::plugins::ethernet {
namespace {

std::string read_file(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  std::array<char, 4096> buffer{};
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

ProcessNamer::ProcessNamer(std::uint16_t ephemeral_low, SockDiag sockets, std::string proc_root)
    : ephemeral_low_(ephemeral_low), sockets_(std::move(sockets)), proc_root_(std::move(proc_root)),
      own_netns_(inode_of(proc_root_ + "/self/ns/net")) {}

std::optional<std::string> ProcessNamer::name(Transport transport, const Endpoint& local, const Endpoint& remote) {
  auto socket = sockets_.find(transport, local, remote);
  if (!socket) return std::nullopt;
  // What is already known answers most new flows: the servers' listening
  // sockets and the earlier connections. A connection the server has not
  // accept()ed yet has no file, so no owner: the listening socket's owner
  // will take it.
  const std::uint64_t own = socket->inode;
  std::uint64_t waiting = 0;
  std::optional<int> pid = first_owner({own});
  if (!pid && !waits_for_peers(*socket)) {
    if (auto listener = sockets_.find(transport, local, std::nullopt)) waiting = listener->inode;
    pid = first_owner({own, waiting});
  }
  // A socket new to us (a new client socket, a new process) needs a scan.
  for (Scan scope : {Scan::known_processes, Scan::new_processes, Scan::all_processes}) {
    if (pid || (own == 0 && waiting == 0)) break;
    if (scope == Scan::known_processes && namespace_pids_.empty()) continue;
    scan(scope);
    pid = first_owner({own, waiting});
  }
  if (!pid) return std::nullopt;
  auto [it, added] = names_.try_emplace(*pid);
  if (added) it->second = node_name(*pid, local.address);
  return it->second;
}

std::optional<int> ProcessNamer::first_owner(std::initializer_list<std::uint64_t> inodes) const {
  for (std::uint64_t inode : inodes) {
    if (inode == 0) continue;
    if (auto pid = owners_.owner_of(inode)) return pid;
  }
  return std::nullopt;
}

void ProcessNamer::scan(Scan scope) {
  ++scans_;
  owners_.clear();
  if (scope == Scan::known_processes) {
    std::erase_if(namespace_pids_, [this](int pid) { return !read_sockets_of(pid); });
    return;
  }
  if (scope == Scan::all_processes) foreign_pids_.clear();
  namespace_pids_.clear();
  Dir proc(::opendir(proc_root_.c_str()));
  if (!proc) return;
  while (dirent* entry = ::readdir(proc.get())) {
    auto pid = pid_of(entry->d_name);
    if (!pid || foreign_pids_.contains(*pid)) continue;
    // Sockets belong to the namespace they were created in: a process of
    // another namespace holds none of these (short of fd passing).
    if (own_netns_ && inode_of(proc_root_ + "/" + entry->d_name + "/ns/net") != own_netns_) {
      foreign_pids_.insert(*pid);
      continue;
    }
    if (read_sockets_of(*pid)) namespace_pids_.insert(*pid);
  }
}

bool ProcessNamer::read_sockets_of(int pid) {
  const std::string fd_dir = proc_root_ + "/" + std::to_string(pid) + "/fd";
  Dir fds(::opendir(fd_dir.c_str()));
  if (!fds) return false;
  std::array<char, 64> link{};
  while (dirent* fd = ::readdir(fds.get())) {
    if (fd->d_name[0] == '.') continue;
    ssize_t n = ::readlinkat(::dirfd(fds.get()), fd->d_name, link.data(), link.size());
    if (n <= 0) continue;
    if (auto inode = socket_inode_of_link(std::string_view(link.data(), static_cast<std::size_t>(n)))) {
      owners_.add_owner(*inode, pid);
    }
  }
  return true;
}

std::string ProcessNamer::node_name(int pid, const std::string& address) {
  // Listening TCP and unconnected UDP sockets only: all a name can come
  // from, and a TCP dump for listeners alone reads only the listening hash.
  std::vector<SocketRow> waiting;
  for (int family : {AF_INET, AF_INET6}) {
    for (auto [transport, state] : {std::pair{Transport::tcp, kTcpListen}, std::pair{Transport::udp, kTcpClose}}) {
      auto rows = sockets_.dump(transport, family, 1u << state);
      waiting.insert(waiting.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    }
  }
  return process_node_name(address, owners_.owned_by(pid, waiting), read_comm(pid), ephemeral_low_);
}

std::string ProcessNamer::read_comm(int pid) const {
  std::string comm = read_file(proc_root_ + "/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
  return comm.empty() ? "pid" : comm;
}

}  // namespace nmz::plugins::ethernet
