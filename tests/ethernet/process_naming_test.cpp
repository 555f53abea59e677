// SPDX-License-Identifier: Apache-2.0
// Naming packet endpoints after the processes that own their sockets: the
// /proc/net socket tables, the owner of an endpoint, the stable name of a
// process, the flow cache asking only for flows whose ends share an address,
// and the live reader against this test's own sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <doctest/doctest.h>

#include "endpoint_node.hpp"
#include "flow_names.hpp"
#include "packet_builder.hpp"
#include "process_namer.hpp"
#include "socket_owners.hpp"

using namespace nmz::plugins::ethernet;
using nmz::tests::ethernet::ipv4;
using nmz::tests::ethernet::l4_tcp;
using nmz::tests::ethernet::Segment;

namespace {

// As a little-endian kernel writes them: 127.0.0.1 is 0100007F; ports
// 2379 = 094B, 2380 = 094C, 54321 = D431.
constexpr const char* kTcpTable =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:094C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0\n"
    "   1: 0100007F:094B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0\n"
    "   2: 0100007F:D431 0100007F:094B 01 00000000:00000000 00:00000000 00000000     0        0 2001 1 0 20 4 30 10 -1\n"
    "   3: 0100007F:094B 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 20 4 30 10 -1\n"
    "   4: 0100007F:D432 0100007F:094B 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0\n"
    "   5: garbage\n";

// ::1 listening on 2379, and an IPv4 peer of a dual-stack socket
// (::ffff:127.0.0.1) on the same port.
constexpr const char* kTcp6Table =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
    "tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:094B 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 3001 1 0 100 0 0 10 0\n"
    "   1: 0000000000000000FFFF00000100007F:094B 0000000000000000FFFF00000100007F:D433 01 00000000:00000000 "
    "00:00000000 00000000     0        0 3002 1 0 100 0 0 10 0\n";

SocketOwners three_processes() {
  SocketOwners owners;
  owners.set_sockets(parse_proc_net_sockets(kTcpTable, Transport::tcp));
  owners.add_owner(1001, 300);  // the server: listens on 2380 and 2379
  owners.add_owner(1002, 300);
  owners.add_owner(1003, 301);  // a worker forked by it shares the server's sockets...
  owners.add_owner(1003, 300);  // ...and the socket counts as the parent's
  owners.add_owner(2001, 400);  // the client
  return owners;
}

}  // namespace

TEST_CASE("socket tables: endpoints as packets write them, state, inode; bad lines skipped") {
  auto rows = parse_proc_net_sockets(kTcpTable, Transport::tcp);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].local == Endpoint{"127.0.0.1", 2380});
  CHECK(rows[0].remote == Endpoint{"0.0.0.0", 0});
  CHECK(rows[0].state == kTcpListen);
  CHECK(rows[2].local == Endpoint{"127.0.0.1", 54321});
  CHECK(rows[2].remote == Endpoint{"127.0.0.1", 2379});
  CHECK(rows[2].inode == 2001);
  CHECK(rows[4].inode == 0);  // TIME_WAIT: no process holds it
  auto rows6 = parse_proc_net_sockets(kTcp6Table, Transport::tcp);
  REQUIRE(rows6.size() == 2);
  CHECK(rows6[0].local == Endpoint{"::1", 2379});
  CHECK(rows6[1].local == Endpoint{"127.0.0.1", 2379});
  CHECK(rows6[1].remote == Endpoint{"127.0.0.1", 54323});
  CHECK(parse_proc_net_sockets("", Transport::udp).empty());
  CHECK(parse_proc_net_sockets("header only\n", Transport::udp).empty());
}

TEST_CASE("socket inodes of /proc/PID/fd links") {
  CHECK(socket_inode_of_link("socket:[12345]") == 12345u);
  CHECK_FALSE(socket_inode_of_link("pipe:[12345]").has_value());
  CHECK_FALSE(socket_inode_of_link("/dev/null").has_value());
  CHECK_FALSE(socket_inode_of_link("socket:[]").has_value());
  CHECK_FALSE(socket_inode_of_link("socket:[12x]").has_value());
}

TEST_CASE("a process's name: lowest listening TCP port, else bound UDP port, else comm") {
  auto tcp = parse_proc_net_sockets(kTcpTable, Transport::tcp);
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

TEST_CASE("the owner of an endpoint: its connected socket, else the listener on its port") {
  SocketOwners owners = three_processes();
  const Endpoint server{"127.0.0.1", 2379};
  const Endpoint client{"127.0.0.1", 54321};
  CHECK(owners.owner(Transport::tcp, client, server) == 400);
  CHECK(owners.owner(Transport::tcp, server, client) == 300);
  // A SYN from a port not yet in the table reaches the listener's owner.
  CHECK(owners.owner(Transport::tcp, server, Endpoint{"127.0.0.1", 60000}) == 300);
  CHECK_FALSE(owners.owner(Transport::tcp, Endpoint{"127.0.0.1", 60000}, server).has_value());
  // Nobody listens on 2381; TIME_WAIT sockets have no owner; UDP is another table.
  CHECK_FALSE(owners.owner(Transport::tcp, Endpoint{"127.0.0.1", 2381}, client).has_value());
  CHECK_FALSE(owners.owner(Transport::tcp, Endpoint{"127.0.0.1", 54322}, server).has_value());
  CHECK_FALSE(owners.owner(Transport::udp, server, client).has_value());
  CHECK(owners.sockets_of(300).size() == 3);
  CHECK(owners.sockets_of(301).empty());

  SocketOwners wildcard;
  wildcard.set_sockets({{Transport::udp, {"0.0.0.0", 5000}, {"0.0.0.0", 0}, 7, 50},
                        {Transport::udp, {"127.0.0.1", 5000}, {"0.0.0.0", 0}, 7, 51}});
  wildcard.add_owner(50, 10);
  wildcard.add_owner(51, 11);
  // The socket bound to the address itself wins over the wildcard one.
  CHECK(wildcard.owner(Transport::udp, Endpoint{"127.0.0.1", 5000}, Endpoint{"127.0.0.1", 6000}) == 11);
  CHECK(wildcard.owner(Transport::udp, Endpoint{"10.0.0.1", 5000}, Endpoint{"127.0.0.1", 6000}) == 10);
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

TEST_CASE("live: both ends of this process's own loopback connection get its listening port's name") {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const std::uint16_t server_port = ntohs(address.sin_port);
  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  sockaddr_in client_address{};
  length = sizeof client_address;
  REQUIRE(::getsockname(client, reinterpret_cast<sockaddr*>(&client_address), &length) == 0);
  int accepted = ::accept(listener, nullptr, nullptr);
  REQUIRE(accepted >= 0);

  ProcessNamer namer(32768);
  const Endpoint server{"127.0.0.1", server_port};
  const Endpoint client_end{"127.0.0.1", ntohs(client_address.sin_port)};
  // The test may hold other listening sockets below this one (none in
  // doctest): the name is this process's lowest listening port.
  auto client_name = namer.name(Transport::tcp, client_end, server);
  REQUIRE(client_name.has_value());
  CHECK(client_name->rfind("127.0.0.1:", 0) == 0);
  CHECK(std::stoi(client_name->substr(10)) <= server_port);
  CHECK(namer.name(Transport::tcp, server, client_end) == client_name);
  CHECK(namer.scans() == 1);
  // A socket nobody owns: a quick scan and a full one, then nothing.
  CHECK_FALSE(namer.name(Transport::tcp, Endpoint{"127.0.0.1", 1}, server).has_value());
  CHECK(namer.scans() == 3);
  ::close(accepted);
  ::close(client);
  ::close(listener);
}
