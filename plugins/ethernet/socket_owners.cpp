// SPDX-License-Identifier: Apache-2.0
#include "socket_owners.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace nmz::plugins::ethernet {
namespace {

template <typename Number>
std::optional<Number> parse_number(std::string_view text, int base) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "0100007F:1F90": the kernel prints the address as 32-bit words in host
// byte order, so the words' bytes in memory are the address again.
std::optional<Endpoint> parse_endpoint(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view hex = text.substr(0, colon);
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  std::array<unsigned char, 16> raw{};
  for (std::size_t word = 0; word < hex.size() / 8; ++word) {
    auto value = parse_number<std::uint32_t>(hex.substr(word * 8, 8), 16);
    if (!value) return std::nullopt;
    std::memcpy(raw.data() + word * 4, &*value, 4);
  }
  auto port = parse_number<std::uint16_t>(text.substr(colon + 1), 16);
  if (!port) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (inet_ntop(hex.size() == 8 ? AF_INET : AF_INET6, raw.data(), out.data(), out.size()) == nullptr) {
    return std::nullopt;
  }
  // A dual-stack socket's IPv4 peer ("::ffff:127.0.0.1") as packets show it.
  std::string_view address = out.data();
  constexpr std::string_view v4_mapped = "::ffff:";
  if (hex.size() == 32 && address.substr(0, v4_mapped.size()) == v4_mapped &&
      address.find('.') != std::string_view::npos) {
    address.remove_prefix(v4_mapped.size());
  }
  return Endpoint{std::string(address), *port};
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (true) {
    at = line.find_first_not_of(' ', at);
    if (at == std::string_view::npos) return out;
    std::size_t end = line.find(' ', at);
    out.push_back(line.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    if (end == std::string_view::npos) return out;
    at = end;
  }
}

bool is_wildcard(const std::string& address) { return address == "0.0.0.0" || address == "::"; }

std::string bracketed(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

}  // namespace

std::vector<SocketRow> parse_proc_net_sockets(std::string_view text, Transport transport) {
  std::vector<SocketRow> rows;
  std::size_t start = text.find('\n');  // the header
  while (start != std::string_view::npos && start + 1 < text.size()) {
    std::size_t end = text.find('\n', start + 1);
    std::string_view line = text.substr(start + 1, end == std::string_view::npos ? std::string_view::npos
                                                                                   : end - start - 1);
    start = end;
    auto f = fields(line);
    if (f.size() < 10) continue;
    auto local = parse_endpoint(f[1]);
    auto remote = parse_endpoint(f[2]);
    auto state = parse_number<std::uint8_t>(f[3], 16);
    auto inode = parse_number<std::uint64_t>(f[9], 10);
    if (!local || !remote || !state || !inode) continue;
    rows.push_back({transport, std::move(*local), std::move(*remote), *state, *inode});
  }
  return rows;
}

std::optional<std::uint64_t> socket_inode_of_link(std::string_view link) {
  constexpr std::string_view prefix = "socket:[";
  if (link.substr(0, prefix.size()) != prefix || link.empty() || link.back() != ']') return std::nullopt;
  return parse_number<std::uint64_t>(link.substr(prefix.size(), link.size() - prefix.size() - 1), 10);
}

std::string process_node_name(const std::string& address, const std::vector<SocketRow>& sockets,
                              std::string_view comm, std::uint16_t ephemeral_low) {
  std::optional<std::uint16_t> tcp_port;
  std::optional<std::uint16_t> udp_port;
  for (const SocketRow& s : sockets) {
    if (s.transport == Transport::tcp && s.state == kTcpListen) {
      tcp_port = std::min(tcp_port.value_or(s.local.port), s.local.port);
    } else if (s.transport == Transport::udp && s.remote.port == 0 && s.local.port != 0 &&
               s.local.port < ephemeral_low) {
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

std::optional<int> SocketOwners::owner(Transport transport, const Endpoint& local, const Endpoint& remote) const {
  const SocketRow* bound = nullptr;
  for (const SocketRow& s : sockets_) {
    if (s.transport != transport || s.inode == 0 || s.local.port != local.port) continue;
    if (s.remote == remote && s.local.address == local.address) {
      if (auto pid = owner_of(s.inode)) return pid;
    }
    bool waiting = transport == Transport::tcp ? s.state == kTcpListen : s.remote.port == 0;
    if (waiting && (s.local.address == local.address || is_wildcard(s.local.address)) &&
        (bound == nullptr || is_wildcard(bound->local.address))) {
      bound = &s;
    }
  }
  return bound != nullptr ? owner_of(bound->inode) : std::nullopt;
}

std::vector<SocketRow> SocketOwners::sockets_of(int pid) const {
  std::vector<SocketRow> out;
  for (const SocketRow& s : sockets_) {
    if (s.inode != 0 && owner_of(s.inode) == pid) out.push_back(s);
  }
  return out;
}

}  // namespace nmz::plugins::ethernet
