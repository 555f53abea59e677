// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ip_packet.hpp"
#include "sock_diag.hpp"
#include "socket_owners.hpp"

namespace nmz::plugins::ethernet {

// Names a packet endpoint after the process that owns its socket
// (process_node_name), so that processes sharing one address (a cluster on
// 127.0.0.1) are told apart, a client's ephemeral port included. Asks the
// kernel for the socket of the flow (SockDiag, in the network namespace it
// runs in) and finds its owner among the socket inodes the processes of
// that namespace hold open (/proc/PID/fd), which it reads again only when
// a socket's inode is new to it.
//
// A process keeps the name it first got for the rest of the run, so that
// one process is one node even if it opens more listening sockets later.
// Not thread-safe: the receive loop owns it, and calls it once per new
// flow (FlowNameCache), not per packet.
class ProcessNamer {
 public:
  ProcessNamer(std::uint16_t ephemeral_low, SockDiag sockets, std::string proc_root = "/proc");

  // Nothing when no process of this namespace owns the socket (it is gone,
  // or it lives in another namespace): the caller names it as before.
  std::optional<std::string> name(Transport transport, const Endpoint& local, const Endpoint& remote);

  // How many times the processes' open files were read again: the cost
  // that a new socket pays.
  [[nodiscard]] std::uint64_t scans() const noexcept { return scans_; }

 private:
  // The widening reads of the processes' open files, cheapest first, until
  // a socket's owner is found: the processes already seen in this
  // namespace (a new connection of a running process, the usual case),
  // then every process of it (one started since), then every process again
  // with `foreign_pids_` forgotten (in case such a pid was reused in this
  // namespace).
  enum class Scan { known_processes, new_processes, all_processes };
  void scan(Scan scope);
  // False when the process is gone or its files are not ours to read.
  bool read_sockets_of(int pid);
  [[nodiscard]] std::optional<int> first_owner(std::initializer_list<std::uint64_t> inodes) const;
  [[nodiscard]] std::string node_name(int pid, const std::string& address);
  [[nodiscard]] std::string read_comm(int pid) const;

  std::uint16_t ephemeral_low_;
  SockDiag sockets_;
  std::string proc_root_;
  std::optional<std::uint64_t> own_netns_;
  SocketOwners owners_;
  std::unordered_map<int, std::string> names_;  // by pid, for the run
  std::unordered_set<int> namespace_pids_;      // this namespace's processes at the last scan
  std::unordered_set<int> foreign_pids_;        // seen in another namespace
  std::uint64_t scans_ = 0;
};

}  // namespace nmz::plugins::ethernet
