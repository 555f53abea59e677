// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ip_packet.hpp"
#include "socket_owners.hpp"

namespace nmz::plugins::ethernet {

// Names a packet endpoint after the process that owns its socket
// (process_node_name), so that processes sharing one address (a cluster on
// 127.0.0.1) are told apart, a client's ephemeral port included. Reads the
// sockets of the network namespace it runs in (/proc/self/net) and the
// open files of the processes of that namespace (/proc/PID/fd).
//
// A process keeps the name it first got for the rest of the run, so that
// one process is one node even if it opens more listening sockets later.
// Not thread-safe: the receive loop owns it, and calls it once per new
// flow (FlowNameCache), not per packet.
class ProcessNamer {
 public:
  explicit ProcessNamer(std::uint16_t ephemeral_low, std::string proc_root = "/proc");

  // Nothing when no process of this namespace owns the socket (it is gone,
  // or it lives in another namespace): the caller names it as before.
  std::optional<std::string> name(Transport transport, const Endpoint& local, const Endpoint& remote);

  // How many times the sockets and processes were read again: the cost
  // that new flows pay.
  [[nodiscard]] std::uint64_t scans() const noexcept { return scans_; }

 private:
  // Reads the socket tables and every socket inode the namespace's
  // processes hold. `foreign_pids_` spares the check of each other
  // namespace's process in every scan (most of a host's processes); a
  // full scan forgets it, in case such a pid was reused in this namespace.
  void scan(bool full);
  [[nodiscard]] std::string read_comm(int pid) const;

  std::uint16_t ephemeral_low_;
  std::string proc_root_;
  std::optional<std::uint64_t> own_netns_;
  SocketOwners owners_;
  std::unordered_map<int, std::string> names_;  // by pid, for the run
  std::unordered_set<int> foreign_pids_;        // seen in another namespace
  std::uint64_t scans_ = 0;
};

}  // namespace nmz::plugins::ethernet
