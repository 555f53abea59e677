// SPDX-License-Identifier: Apache-2.0
#include "socket_owners.hpp"

#include <algorithm>
#include <charconv>

namespace nmz::plugins::ethernet {
namespace {

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string bracketed(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

}  // namespace

std::optional<std::uint64_t> socket_inode_of_link(std::string_view link) {
  constexpr std::string_view prefix = "socket:[";
  if (link.substr(0, prefix.size()) != prefix || link.empty() || link.back() != ']') return std::nullopt;
  return parse_decimal(link.substr(prefix.size(), link.size() - prefix.size() - 1));
}

std::string process_node_name(const std::string& address, const std::vector<SocketRow>& sockets,
                              std::string_view comm, std::uint16_t ephemeral_low) {
  std::optional<std::uint16_t> tcp_port;
  std::optional<std::uint16_t> udp_port;
  for (const SocketRow& s : sockets) {
    if (!waits_for_peers(s)) continue;
    if (s.transport == Transport::tcp) {
      tcp_port = std::min(tcp_port.value_or(s.local.port), s.local.port);
    } else if (s.local.port != 0 && s.local.port < ephemeral_low) {
      udp_port = std::min(udp_port.value_or(s.local.port), s.local.port);
    }
  }
  if (auto port = tcp_port ? tcp_port : udp_port) return bracketed(address) + ":" + std::to_string(*port);
  return std::string(comm) + "@" + bracketed(address);
}

void SocketOwners::add_owner(std::uint64_t inode, int pid) {
  auto [it, added] = owner_of_inode_.try_emplace(inode, pid);
  if (!added) it->second = std::min(it->second, pid);
}

std::optional<int> SocketOwners::owner_of(std::uint64_t inode) const {
  auto it = owner_of_inode_.find(inode);
  if (it == owner_of_inode_.end()) return std::nullopt;
  return it->second;
}

std::vector<SocketRow> SocketOwners::owned_by(int pid, const std::vector<SocketRow>& sockets) const {
  std::vector<SocketRow> out;
  for (const SocketRow& s : sockets) {
    if (s.inode != 0 && owner_of(s.inode) == pid) out.push_back(s);
  }
  return out;
}

}  // namespace nmz::plugins::ethernet
