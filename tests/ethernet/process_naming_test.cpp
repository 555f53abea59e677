// SPDX-License-Identifier: Apache-2.0
// Naming packet endpoints after the processes that own their sockets: the
// sock_diag requests and replies, the owners of socket inodes, the stable
// name of a process, the flow cache asking only for flows whose ends share
// an address, and the live lookups against this test's own sockets.
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <doctest/doctest.h>

#include "endpoint_node.hpp"
#include "flow_names.hpp"
#include "packet_builder.hpp"
#include "process_namer.hpp"
#include "sock_diag.hpp"
#include "socket_owners.hpp"

using namespace nmz::plugins::ethernet;
using nmz::tests::ethernet::ipv4;
using nmz::tests::ethernet::l4_tcp;
using nmz::tests::ethernet::Segment;

namespace {

inet_diag_req_v2 request_body(const std::string& request) {
  inet_diag_req_v2 body{};
  std::memcpy(&body, request.data() + NLMSG_HDRLEN, sizeof body);
  return body;
}

nlmsghdr request_header(const std::string& request) {
  nlmsghdr header{};
  std::memcpy(&header, request.data(), sizeof header);
  return header;
}

std::string reply(std::uint16_t type, std::uint16_t flags, std::uint32_t sequence, const void* body,
                  std::size_t body_size) {
  nlmsghdr header{};
  header.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(body_size));
  header.nlmsg_type = type;
  header.nlmsg_flags = flags;
  header.nlmsg_seq = sequence;
  std::string out(NLMSG_ALIGN(header.nlmsg_len), '\0');
  std::memcpy(out.data(), &header, sizeof header);
  std::memcpy(out.data() + NLMSG_HDRLEN, body, body_size);
  return out;
}

std::string socket_reply(std::uint16_t flags, std::uint32_t sequence, int family, const char* local,
                         std::uint16_t local_port, const char* remote, std::uint16_t remote_port, std::uint8_t state,
                         std::uint32_t inode) {
  inet_diag_msg message{};
  message.idiag_family = static_cast<std::uint8_t>(family);
  message.idiag_state = state;
  message.id.idiag_sport = htons(local_port);
  message.id.idiag_dport = htons(remote_port);
  inet_pton(family, local, message.id.idiag_src);
  inet_pton(family, remote, message.id.idiag_dst);
  message.idiag_inode = inode;
  return reply(SOCK_DIAG_BY_FAMILY, flags, sequence, &message, sizeof message);
}

std::string error_reply(std::uint32_t sequence, int error) {
  nlmsgerr body{};
  body.error = -error;
  return reply(NLMSG_ERROR, 0, sequence, &body, sizeof body);
}

SocketRow listening(std::uint16_t port, std::uint64_t inode) {
  return {Transport::tcp, {"127.0.0.1", port}, {"0.0.0.0", 0}, kTcpListen, inode};
}

std::uint64_t inode_of(int fd) {
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  return st.st_ino;
}

}  // namespace

TEST_CASE("sock_diag lookup: the 4-tuple in the order each protocol's kernel lookup takes it") {
  auto tcp = socket_lookup_request(Transport::tcp, {"127.0.0.1", 2379}, Endpoint{"127.0.0.2", 54321}, 7);
  REQUIRE(tcp.has_value());
  REQUIRE(tcp->size() == NLMSG_LENGTH(sizeof(inet_diag_req_v2)));
  nlmsghdr header = request_header(*tcp);
  CHECK(header.nlmsg_len == tcp->size());
  CHECK(header.nlmsg_type == SOCK_DIAG_BY_FAMILY);
  CHECK(header.nlmsg_flags == NLM_F_REQUEST);  // one socket, not a dump
  CHECK(header.nlmsg_seq == 7u);
  inet_diag_req_v2 body = request_body(*tcp);
  CHECK(body.sdiag_family == AF_INET);
  CHECK(body.sdiag_protocol == IPPROTO_TCP);
  CHECK(ntohs(body.id.idiag_sport) == 2379);  // TCP: the socket's own end first
  CHECK(ntohs(body.id.idiag_dport) == 54321);
  CHECK(body.id.idiag_src[0] == htonl(0x7f000001));
  CHECK(body.id.idiag_dst[0] == htonl(0x7f000002));
  CHECK(body.id.idiag_cookie[0] == INET_DIAG_NOCOOKIE);
  CHECK(body.id.idiag_cookie[1] == INET_DIAG_NOCOOKIE);

  auto udp = socket_lookup_request(Transport::udp, {"::1", 5353}, Endpoint{"::2", 40000}, 8);
  REQUIRE(udp.has_value());
  body = request_body(*udp);
  CHECK(body.sdiag_family == AF_INET6);
  CHECK(body.sdiag_protocol == IPPROTO_UDP);
  CHECK(ntohs(body.id.idiag_sport) == 40000);  // UDP: the peer first
  CHECK(ntohs(body.id.idiag_dport) == 5353);
  CHECK(reinterpret_cast<const unsigned char*>(body.id.idiag_src)[15] == 2);
  CHECK(reinterpret_cast<const unsigned char*>(body.id.idiag_dst)[15] == 1);

  // No peer: the listening socket, asked with the unspecified address.
  auto waiting = socket_lookup_request(Transport::tcp, {"127.0.0.1", 2379}, std::nullopt, 9);
  REQUIRE(waiting.has_value());
  body = request_body(*waiting);
  CHECK(body.sdiag_family == AF_INET);
  CHECK(body.id.idiag_dport == 0);
  CHECK(body.id.idiag_dst[0] == 0);

  CHECK_FALSE(socket_lookup_request(Transport::tcp, {"127.0.0.1", 1}, Endpoint{"::1", 2}, 1).has_value());
  CHECK_FALSE(socket_lookup_request(Transport::tcp, {"localhost", 1}, Endpoint{"127.0.0.1", 2}, 1).has_value());
  CHECK_FALSE(socket_lookup_request(Transport::udp, {"127.0.0.1", 1}, Endpoint{"", 2}, 1).has_value());
}

TEST_CASE("sock_diag dump: every socket of a family in the given states") {
  std::string dump = socket_dump_request(Transport::udp, AF_INET6, 1u << kTcpClose, 3);
  nlmsghdr header = request_header(dump);
  CHECK(header.nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
  CHECK(header.nlmsg_seq == 3u);
  inet_diag_req_v2 body = request_body(dump);
  CHECK(body.sdiag_family == AF_INET6);
  CHECK(body.sdiag_protocol == IPPROTO_UDP);
  CHECK(body.idiag_states == 1u << kTcpClose);
}

TEST_CASE("sock_diag replies: sockets as packets write them, until the answer, the dump's end or an error") {
  SocketReplies dump;
  std::string first = socket_reply(NLM_F_MULTI, 4, AF_INET, "127.0.0.1", 2379, "0.0.0.0", 0, kTcpListen, 1001) +
                      socket_reply(NLM_F_MULTI, 3, AF_INET, "127.0.0.1", 9, "0.0.0.0", 0, kTcpListen, 99) +
                      socket_reply(NLM_F_MULTI, 4, AF_INET6, "::ffff:127.0.0.1", 2380, "::ffff:127.0.0.1", 54323, 1,
                                   1002);
  parse_socket_replies(first, Transport::tcp, 4, dump);
  CHECK_FALSE(dump.finished);
  REQUIRE(dump.sockets.size() == 2);  // the reply to request 3 was not for this one
  CHECK(dump.sockets[0].local == Endpoint{"127.0.0.1", 2379});
  CHECK(dump.sockets[0].remote == Endpoint{"0.0.0.0", 0});
  CHECK(dump.sockets[0].state == kTcpListen);
  CHECK(dump.sockets[0].inode == 1001u);
  CHECK(dump.sockets[0].transport == Transport::tcp);
  CHECK(dump.sockets[1].local == Endpoint{"127.0.0.1", 2380});  // a dual-stack socket's IPv4 ends
  CHECK(dump.sockets[1].remote == Endpoint{"127.0.0.1", 54323});
  nlmsghdr done{};
  parse_socket_replies(socket_reply(NLM_F_MULTI, 4, AF_INET6, "::1", 2381, "::", 0, kTcpListen, 1003) +
                           reply(NLMSG_DONE, NLM_F_MULTI, 4, &done, sizeof done),
                       Transport::tcp, 4, dump);
  CHECK(dump.finished);
  CHECK(dump.error == 0);
  REQUIRE(dump.sockets.size() == 3);
  CHECK(dump.sockets[2].local == Endpoint{"::1", 2381});

  SocketReplies lookup;
  parse_socket_replies(socket_reply(0, 5, AF_INET, "127.0.0.1", 5353, "0.0.0.0", 0, kTcpClose, 7), Transport::udp, 5,
                       lookup);
  CHECK(lookup.finished);  // a lookup's answer is one message
  REQUIRE(lookup.sockets.size() == 1);
  CHECK(lookup.sockets[0].transport == Transport::udp);
  CHECK(waits_for_peers(lookup.sockets[0]));

  SocketReplies missing;
  parse_socket_replies(error_reply(6, ENOENT), Transport::tcp, 6, missing);
  CHECK(missing.finished);
  CHECK(missing.error == ENOENT);
  CHECK(missing.sockets.empty());

  for (std::string bad : {std::string("short"), socket_reply(0, 8, AF_INET, "127.0.0.1", 1, "0.0.0.0", 0, 1, 1).substr(0, 40),
                          reply(SOCK_DIAG_BY_FAMILY, 0, 8, "tiny", 4), reply(NLMSG_ERROR, 0, 8, "", 0)}) {
    SocketReplies malformed;
    parse_socket_replies(bad, Transport::tcp, 8, malformed);
    CHECK(malformed.finished);
    CHECK(malformed.error == EBADMSG);
  }
}

TEST_CASE("socket inodes of /proc/PID/fd links") {
  CHECK(socket_inode_of_link("socket:[12345]") == 12345u);
  CHECK_FALSE(socket_inode_of_link("pipe:[12345]").has_value());
  CHECK_FALSE(socket_inode_of_link("/dev/null").has_value());
  CHECK_FALSE(socket_inode_of_link("socket:[]").has_value());
  CHECK_FALSE(socket_inode_of_link("socket:[12x]").has_value());
}

TEST_CASE("socket owners: a shared socket is the lowest pid's, a process's sockets are those it owns") {
  SocketOwners owners;
  owners.add_owner(1001, 300);  // the server: listens on 2380 and 2379
  owners.add_owner(1002, 300);
  owners.add_owner(1003, 301);  // a worker forked by it shares the server's sockets...
  owners.add_owner(1003, 300);  // ...and the socket counts as the parent's
  owners.add_owner(2001, 400);  // the client
  CHECK(owners.owner_of(1003) == 300);
  CHECK(owners.owner_of(2001) == 400);
  CHECK_FALSE(owners.owner_of(0).has_value());
  std::vector<SocketRow> sockets{listening(2380, 1001), listening(2379, 1002), listening(2390, 1003),
                                 listening(2391, 0), listening(2392, 5000)};
  CHECK(owners.owned_by(300, sockets).size() == 3);
  CHECK(owners.owned_by(301, sockets).empty());
  owners.clear();
  CHECK_FALSE(owners.owner_of(1001).has_value());
}

TEST_CASE("a process's name: lowest listening TCP port, else bound UDP port, else comm") {
  std::vector<SocketRow> tcp{listening(2380, 1), listening(2379, 2),
                             {Transport::tcp, {"127.0.0.1", 2378}, {"127.0.0.1", 54321}, 1, 3}};
  CHECK(process_node_name("127.0.0.1", tcp, "etcd", 32768) == "127.0.0.1:2379");
  CHECK(process_node_name("::1", tcp, "etcd", 32768) == "[::1]:2379");
  SocketRow udp_bound{Transport::udp, {"0.0.0.0", 5353}, {"0.0.0.0", 0}, 7, 9};
  SocketRow udp_ephemeral{Transport::udp, {"0.0.0.0", 40000}, {"0.0.0.0", 0}, 7, 10};
  SocketRow udp_connected{Transport::udp, {"127.0.0.1", 5000}, {"127.0.0.1", 6000}, 1, 11};
  CHECK(process_node_name("127.0.0.1", {udp_ephemeral, udp_bound, udp_connected}, "dns", 32768) == "127.0.0.1:5353");
  SocketRow client{Transport::tcp, {"127.0.0.1", 54321}, {"127.0.0.1", 2379}, 1, 12};
  CHECK(process_node_name("127.0.0.1", {client, udp_ephemeral, udp_connected}, "curl", 32768) == "curl@127.0.0.1");
  CHECK(process_node_name("::1", {}, "curl", 32768) == "curl@[::1]");
}

TEST_CASE("flow cache: processes name the ends of same-address flows only, -node names win") {
  auto naming = PacketNaming::create({"user=:7000"}, 32768);
  REQUIRE(naming.has_value());
  int asked = 0;
  FlowNameCache cache(*naming, [&](Transport, const Endpoint& local, const Endpoint&) -> std::optional<std::string> {
    ++asked;
    if (local.port == 9999) return std::nullopt;  // a socket already gone
    return "127.0.0.1:" + std::to_string(local.port < 32768 ? local.port : 2379);
  });
  Segment s;
  s.sport = 54321;
  s.dport = 2380;
  std::string bytes = ipv4(l4_tcp(s), 6, "127.0.0.1", "127.0.0.1");
  const FlowNames& names = cache.names(parse_ip_packet(bytes).value());
  CHECK(names.src_entity == "127.0.0.1:2379");
  CHECK(names.dst_entity == "127.0.0.1:2380");
  CHECK(names.hint_flow == "tcp 127.0.0.1:2379>127.0.0.1:2380");
  CHECK(asked == 2);
  cache.names(parse_ip_packet(bytes).value());
  CHECK(asked == 2);  // once per flow

  s.dport = 7000;
  bytes = ipv4(l4_tcp(s), 6, "127.0.0.1", "127.0.0.1");
  const FlowNames& to_user_node = cache.names(parse_ip_packet(bytes).value());
  CHECK(to_user_node.dst_entity == "user");
  CHECK(asked == 3);

  s.dport = 9999;
  bytes = ipv4(l4_tcp(s), 6, "127.0.0.1", "127.0.0.1");
  CHECK(cache.names(parse_ip_packet(bytes).value()).dst_entity == "entity-127.0.0.1:9999");

  asked = 0;
  bytes = ipv4(l4_tcp(s), 6, "10.0.0.1", "10.0.0.2");
  const FlowNames& across = cache.names(parse_ip_packet(bytes).value());
  CHECK(across.src_entity == "entity-10.0.0.1:54321");
  CHECK(asked == 0);  // the addresses tell these nodes apart
}

TEST_CASE("the policies (explore, netfault) take process names as node names, whole") {
  using nmz::plugins::endpoint_node;
  CHECK(endpoint_node("127.0.0.1:2379") == "127.0.0.1:2379");
  CHECK(endpoint_node("[::1]:2379") == "[::1]:2379");
  CHECK(endpoint_node("curl@127.0.0.1") == "curl@127.0.0.1");
  CHECK(endpoint_node("entity-127.0.0.1:54321") == "127.0.0.1");  // Namazu's names: the address
}

namespace {

// A socket of this test, closed at the end of the test case.
struct TestSocket {
  explicit TestSocket(int open_fd) : fd(open_fd) { REQUIRE(fd >= 0); }
  TestSocket(TestSocket&& other) noexcept : fd(other.fd) { other.fd = -1; }
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;
  ~TestSocket() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

Endpoint loopback_end(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  return {"127.0.0.1", ntohs(address.sin_port)};
}

sockaddr_in loopback_address(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

TestSocket bound(int type) {
  TestSocket s(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in address = loopback_address(0);
  REQUIRE(::bind(s.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  if (type == SOCK_STREAM) REQUIRE(::listen(s.fd, 4) == 0);
  return s;
}

TestSocket connected(int type, const Endpoint& to) {
  TestSocket s(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in address = loopback_address(to.port);
  REQUIRE(::connect(s.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return s;
}

}  // namespace

TEST_CASE("live: sock_diag finds the socket of a 4-tuple, else the one waiting on its port") {
  auto sockets = SockDiag::open();
  REQUIRE(sockets.has_value());
  TestSocket listener = bound(SOCK_STREAM);
  const Endpoint server = loopback_end(listener.fd);
  TestSocket client = connected(SOCK_STREAM, server);
  const Endpoint client_end = loopback_end(client.fd);

  auto found = sockets->find(Transport::tcp, client_end, server);
  REQUIRE(found.has_value());
  CHECK(found->inode == inode_of(client.fd));
  CHECK(found->local == client_end);
  CHECK(found->remote == server);
  // Not accept()ed yet: the server's socket of the connection has no file.
  auto pending = sockets->find(Transport::tcp, server, client_end);
  REQUIRE(pending.has_value());
  CHECK(pending->inode == 0);
  auto waiting = sockets->find(Transport::tcp, server, std::nullopt);
  REQUIRE(waiting.has_value());
  CHECK(waiting->inode == inode_of(listener.fd));
  CHECK(waits_for_peers(*waiting));
  // A peer the listener has never heard of reaches it too (a SYN).
  auto syn = sockets->find(Transport::tcp, server, Endpoint{"127.0.0.1", 1});
  REQUIRE(syn.has_value());
  CHECK(syn->inode == inode_of(listener.fd));
  CHECK_FALSE(sockets->find(Transport::tcp, Endpoint{"127.0.0.1", 1}, server).has_value());

  TestSocket udp_bound = bound(SOCK_DGRAM);
  const Endpoint udp_server = loopback_end(udp_bound.fd);
  TestSocket udp_client = connected(SOCK_DGRAM, udp_server);
  const Endpoint udp_client_end = loopback_end(udp_client.fd);
  auto to_server = sockets->find(Transport::udp, udp_server, udp_client_end);
  REQUIRE(to_server.has_value());
  CHECK(to_server->inode == inode_of(udp_bound.fd));
  CHECK(waits_for_peers(*to_server));
  auto to_client = sockets->find(Transport::udp, udp_client_end, udp_server);
  REQUIRE(to_client.has_value());
  CHECK(to_client->inode == inode_of(udp_client.fd));
  CHECK_FALSE(waits_for_peers(*to_client));

  bool listed = false;
  for (const SocketRow& row : sockets->dump(Transport::tcp, AF_INET, 1u << kTcpListen)) {
    CHECK(row.state == kTcpListen);
    listed = listed || row.inode == inode_of(listener.fd);
  }
  CHECK(listed);
}

TEST_CASE("live: both ends of this process's own loopback connections get its listening port's name") {
  TestSocket listener = bound(SOCK_STREAM);
  const Endpoint server = loopback_end(listener.fd);
  TestSocket client = connected(SOCK_STREAM, server);
  const Endpoint client_end = loopback_end(client.fd);
  TestSocket accepted(::accept(listener.fd, nullptr, nullptr));

  auto sockets = SockDiag::open();
  REQUIRE(sockets.has_value());
  ProcessNamer namer(32768, std::move(*sockets));
  // The test may hold other listening sockets below this one (none in
  // doctest): the name is this process's lowest listening port.
  auto client_name = namer.name(Transport::tcp, client_end, server);
  REQUIRE(client_name.has_value());
  CHECK(client_name->rfind("127.0.0.1:", 0) == 0);
  CHECK(std::stoi(client_name->substr(10)) <= server.port);
  CHECK(namer.scans() == 1);
  CHECK(namer.name(Transport::tcp, server, client_end) == client_name);
  CHECK(namer.scans() == 1);  // the first scan saw the accepted socket too

  // A new connection: its server side (not accept()ed yet) is the
  // listener's, known; its client socket is new, and found by reading
  // again only the processes already seen.
  TestSocket second = connected(SOCK_STREAM, server);
  const Endpoint second_end = loopback_end(second.fd);
  CHECK(namer.name(Transport::tcp, server, second_end) == client_name);
  CHECK(namer.scans() == 1);
  CHECK(namer.name(Transport::tcp, second_end, server) == client_name);
  CHECK(namer.scans() == 2);

  // No socket at all: nothing, and no scan.
  CHECK_FALSE(namer.name(Transport::tcp, Endpoint{"127.0.0.1", 1}, server).has_value());
  CHECK(namer.scans() == 2);
}
