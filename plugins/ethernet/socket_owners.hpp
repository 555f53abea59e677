// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ip_packet.hpp"

namespace nmz::plugins::ethernet {

// One TCP or UDP socket of a network namespace, as the kernel reports it
// (sock_diag.hpp).
struct SocketRow {
  Transport transport = Transport::tcp;
  Endpoint local;
  Endpoint remote;
  std::uint8_t state = 0;  // the kernel's TCP_* state number
  // 0 for sockets no file refers to: SYN_RECV, TIME_WAIT, and connections
  // the server has not accept()ed yet
  std::uint64_t inode = 0;
};

inline constexpr std::uint8_t kTcpListen = 0x0a;
inline constexpr std::uint8_t kTcpClose = 0x07;  // also an unconnected UDP socket's state

// A listening TCP socket or an unconnected UDP one: the socket that takes
// a peer's first packet.
inline bool waits_for_peers(const SocketRow& socket) {
  return socket.transport == Transport::tcp ? socket.state == kTcpListen : socket.remote.port == 0;
}

// The inode of a /proc/PID/fd link's target "socket:[12345]"; nothing for
// other files.
std::optional<std::uint64_t> socket_inode_of_link(std::string_view link);

// The node name of a process seen at `address` (as a packet carries it):
// "ADDR:PORT" with its lowest listening TCP port, else with its lowest
// bound UDP port below `ephemeral_low`, else "COMM@ADDR". Listening ports
// come from the target's configuration, so they are the same in every run,
// unlike pids and ephemeral ports. IPv6 addresses are bracketed.
std::string process_node_name(const std::string& address, const std::vector<SocketRow>& sockets,
                              std::string_view comm, std::uint16_t ephemeral_low);

// Which process owns which socket, as last read from the processes' open
// files (/proc/PID/fd).
class SocketOwners {
 public:
  // Each reading of the processes starts over: sockets close, fds move.
  void clear() { owner_of_inode_.clear(); }
  // A socket shared by several processes (inherited across fork) belongs
  // to the lowest pid: the parent.
  void add_owner(std::uint64_t inode, int pid);

  [[nodiscard]] std::optional<int> owner_of(std::uint64_t inode) const;
  // The ones among `sockets` that `pid` owns, for process_node_name.
  [[nodiscard]] std::vector<SocketRow> owned_by(int pid, const std::vector<SocketRow>& sockets) const;

 private:
  std::unordered_map<std::uint64_t, int> owner_of_inode_;
};

}  // namespace nmz::plugins::ethernet
