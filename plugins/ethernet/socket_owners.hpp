// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ip_packet.hpp"

namespace nmz::plugins::ethernet {

// One row of /proc/net/{tcp,tcp6,udp,udp6}: a socket of the network
// namespace that reads the file.
struct SocketRow {
  Transport transport = Transport::tcp;
  Endpoint local;
  Endpoint remote;
  std::uint8_t state = 0;  // the kernel's TCP_* state number
  std::uint64_t inode = 0;  // 0 for sockets no file refers to (SYN_RECV, TIME_WAIT)
};

inline constexpr std::uint8_t kTcpListen = 0x0a;

// The rows of one /proc/net/{tcp,tcp6,udp,udp6} file (header skipped,
// malformed lines ignored). Addresses come out as inet_ntop writes them,
// like packet addresses.
std::vector<SocketRow> parse_proc_net_sockets(std::string_view text, Transport transport);

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

// Which process owns which socket of a network namespace, at one moment:
// the sockets and the socket inodes each process holds open.
class SocketOwners {
 public:
  void set_sockets(std::vector<SocketRow> sockets) { sockets_ = std::move(sockets); }
  // Cleared with the sockets: each scan finds every process again.
  void clear_owners() { owner_of_inode_.clear(); }
  // A socket shared by several processes (inherited across fork) belongs
  // to the lowest pid: the parent.
  void add_owner(std::uint64_t inode, int pid);

  // The pid that owns `local`'s side of its conversation with `remote`:
  // the connected socket of the 4-tuple, else (a TCP SYN not yet accepted,
  // an unconnected UDP socket) the socket listening on or bound to
  // `local`'s port at its address or at the wildcard address.
  [[nodiscard]] std::optional<int> owner(Transport transport, const Endpoint& local, const Endpoint& remote) const;
  // The sockets `pid` owns, for process_node_name.
  [[nodiscard]] std::vector<SocketRow> sockets_of(int pid) const;

 private:
  [[nodiscard]] std::optional<int> owner_of(std::uint64_t inode) const;

  std::vector<SocketRow> sockets_;
  std::map<std::uint64_t, int> owner_of_inode_;
};

}  // namespace nmz::plugins::ethernet
