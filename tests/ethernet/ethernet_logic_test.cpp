// SPDX-License-Identifier: Apache-2.0
// Pure logic of the ethernet inspector and the netfault policy: packet
// parsing, the retransmission filter, naming and replay hints, rule
// scripts, flags, and the seeded fault plan.
#include <arpa/inet.h>

#include <cstring>
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "ethernet_options.hpp"
#include "flow_names.hpp"
#include "ip_packet.hpp"
#include "netfault_planner.hpp"
#include "packet_builder.hpp"
#include "packet_naming.hpp"
#include "rule_set.hpp"
#include "tcp_retransmission_filter.hpp"

using namespace nmz::plugins::ethernet;
using nmz::plugins::netfault::Decision;
using nmz::plugins::netfault::FaultKind;
using nmz::plugins::netfault::NetfaultParams;
using nmz::plugins::netfault::NetfaultPlanner;

namespace {

using nmz::tests::ethernet::ipv4;
using nmz::tests::ethernet::ipv6;
using nmz::tests::ethernet::l4_tcp;
using nmz::tests::ethernet::Segment;

std::string udp(std::uint16_t sport, std::uint16_t dport, const std::string& payload) {
  return nmz::tests::ethernet::l4_udp(sport, dport, payload);
}

// `bytes` must outlive the result: IpPacket views into it.
IpPacket parsed(const std::string& bytes) {
  auto p = parse_ip_packet(bytes);
  REQUIRE(p.has_value());
  return *p;
}

// Sums a whole header-plus-data range the way a receiver checks it.
bool checksum_ok(const std::string& packet) {
  IpPacket p = parsed(packet);
  std::uint32_t sum = 0;
  auto add = [&](std::string_view d) {
    for (std::size_t i = 0; i + 1 < d.size(); i += 2) sum += static_cast<unsigned char>(d[i]) << 8 | static_cast<unsigned char>(d[i + 1]);
    if (d.size() % 2) sum += static_cast<unsigned char>(d.back()) << 8;
  };
  std::string_view v = packet;
  std::size_t l4 = packet.size() - p.l4_offset;
  if (p.ip_version == 4) add(v.substr(12, 8)); else add(v.substr(8, 32));
  sum += p.protocol + static_cast<std::uint32_t>(l4);
  add(v.substr(p.l4_offset));
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

}  // namespace

TEST_CASE("IPv4 addresses are written as inet_ntop writes them") {
  for (const char* address : {"0.0.0.0", "9.10.99.100", "192.168.100.255", "255.255.255.255", "127.0.0.1"}) {
    CAPTURE(address);
    const std::string packet = ipv4(udp(1, 2, "x"), 17, address, "10.0.0.2");
    CHECK(parsed(packet).src.address == address);
  }
}

TEST_CASE("IPv4 TCP: endpoints, sequence numbers, flags and payload") {
  Segment s;
  const std::string packet = ipv4(l4_tcp(s), 6);  // the parse result views into it
  IpPacket p = parsed(packet);
  CHECK(p.ip_version == 4);
  CHECK(p.transport == Transport::tcp);
  CHECK(p.src == Endpoint{"10.0.0.1", 40000});
  CHECK(p.dst == Endpoint{"10.0.0.2", 2181});
  CHECK(p.tcp_seq == 1000);
  CHECK(p.tcp_ack == 2000);
  CHECK(p.l4_payload == "hello");
}

TEST_CASE("IPv6 UDP, through a hop-by-hop extension header") {
  std::string hop(8, '\0');
  hop[0] = 17;  // next: UDP
  const std::string packet = ipv6(hop + udp(5353, 53, "q"), 0);
  IpPacket p = parsed(packet);
  CHECK(p.ip_version == 6);
  CHECK(p.transport == Transport::udp);
  CHECK(p.src == Endpoint{"fd00::1", 5353});
  CHECK(p.dst.port == 53);
  CHECK(p.l4_payload == "q");
}

TEST_CASE("ICMP, truncated TCP and garbage") {
  CHECK(parsed(ipv4(std::string(8, '\0'), 1)).transport == Transport::other);
  CHECK(parsed(ipv4(std::string(10, '\0'), 6)).transport == Transport::other);
  CHECK_FALSE(parse_ip_packet("").has_value());
  CHECK_FALSE(parse_ip_packet("\x45\x00").has_value());
  CHECK_FALSE(parse_ip_packet(std::string(40, '\x20')).has_value());
}

TEST_CASE("fix_checksums completes TCP and UDP checksums, IPv4 and IPv6") {
  for (std::string packet : {ipv4(l4_tcp(Segment{}), 6), ipv6(l4_tcp(Segment{}), 6), ipv4(udp(1, 2, "odd"), 17),
                             ipv6(udp(1, 2, "even"), 17)}) {
    CHECK_FALSE(checksum_ok(packet));
    fix_checksums(packet);
    CHECK(checksum_ok(packet));
  }
}

TEST_CASE("retransmission filter: a repeat of the held segment, per 4-tuple, IPv6 included") {
  for (bool v6 : {false, true}) {
    auto make = [&](const Segment& s) { return parsed(v6 ? ipv6(l4_tcp(s), 6) : ipv4(l4_tcp(s), 6)); };
    TcpRetransmissionFilter filter;
    auto is_retransmission = [&](const IpPacket& p) {
      return filter.is_retransmission(TcpRetransmissionFilter::flow_key(p), p);
    };
    auto hold = [&](const IpPacket& p, std::uint64_t token) { filter.hold(TcpRetransmissionFilter::flow_key(p), p, token); };
    Segment s;
    IpPacket first = make(s);
    CHECK_FALSE(is_retransmission(first));
    hold(first, 1);
    CHECK(is_retransmission(make(s)));

    Segment other_ack = s;
    other_ack.ack += 1;
    CHECK_FALSE(is_retransmission(make(other_ack)));
    Segment other_flags = s;
    other_flags.flags = tcp_flag::ack;
    CHECK_FALSE(is_retransmission(make(other_flags)));
    Segment window_update = s;
    window_update.window += 100;
    CHECK_FALSE(is_retransmission(make(window_update)));
    Segment shorter = s;
    shorter.payload = "hel";
    CHECK_FALSE(is_retransmission(make(shorter)));
    Segment other_port = s;
    other_port.sport += 1;
    CHECK_FALSE(is_retransmission(make(other_port)));

    // Once answered, the kernel's retransmission is a new event.
    filter.release(TcpRetransmissionFilter::flow_key(first), 1);
    CHECK_FALSE(is_retransmission(make(s)));

    // A stale release (an older token) does not free the newer hold.
    hold(first, 2);
    filter.release(TcpRetransmissionFilter::flow_key(first), 1);
    CHECK(is_retransmission(make(s)));

    Segment rst = s;
    rst.flags = tcp_flag::rst;
    hold(make(rst), 3);
    CHECK(filter.flows() == 0);
    CHECK_FALSE(is_retransmission(make(s)));
  }
}

TEST_CASE("entities: node names, entity-<ip>:<port>, unknown") {
  auto naming = PacketNaming::create({"zk1=10.0.0.1", "zk2=10.0.0.2:2888", "client=:9999", "v6=[fd00::2]:2181"}, 32768);
  REQUIRE(naming.has_value());
  IpPacket p = parsed(ipv4(l4_tcp(Segment{}), 6));
  CHECK(naming->entity(p, p.src) == "zk1");
  CHECK(naming->entity(p, p.dst) == "entity-10.0.0.2:2181");
  IpPacket q = parsed(ipv4(udp(9999, 2888, ""), 17, "10.0.0.9", "10.0.0.2"));
  CHECK(naming->entity(q, q.src) == "client");
  CHECK(naming->entity(q, q.dst) == "zk2");
  IpPacket r = parsed(ipv6(l4_tcp(Segment{}), 6));
  CHECK(naming->entity(r, r.src) == "entity-[fd00::1]:40000");
  CHECK(naming->entity(r, r.dst) == "v6");
  IpPacket icmp = parsed(ipv4(std::string(8, '\0'), 1));
  CHECK(naming->entity(icmp, icmp.src) == "_namazu_unknown_entity");
}

TEST_CASE("bad -node specs name the flag") {
  for (const char* bad : {"noequals", "=10.0.0.1", "a=10.0.0.300", "a=10.0.0.1:0", "a=[fd00::1", "a=:x", "a="}) {
    auto naming = PacketNaming::create({bad}, 32768);
    CHECK_FALSE(naming.has_value());
    CHECK(naming.status().message().find("flag -node") != std::string::npos);
  }
}

TEST_CASE("replay hints: stable across ephemeral ports and sequence numbers, distinct across payloads") {
  auto naming = PacketNaming::create({}, 32768);
  REQUIRE(naming.has_value());
  Segment a;
  Segment b = a;
  b.sport = 50000;
  b.seq = 99;
  b.ack = 7;
  std::string hint_a = naming->replay_hint(parsed(ipv4(l4_tcp(a), 6)));
  CHECK(hint_a == naming->replay_hint(parsed(ipv4(l4_tcp(b), 6))));
  CHECK(hint_a.rfind("tcp 10.0.0.1:*>10.0.0.2:2181 - 5 ", 0) == 0);
  Segment c = a;
  c.payload = "other";
  CHECK(hint_a != naming->replay_hint(parsed(ipv4(l4_tcp(c), 6))));
  Segment syn = a;
  syn.flags = tcp_flag::syn;
  syn.payload.clear();
  CHECK(naming->replay_hint(parsed(ipv4(l4_tcp(syn), 6))).find(" S ") != std::string::npos);
}

TEST_CASE("flow name cache: the same names as computed afresh, per flow, bounded") {
  auto naming = PacketNaming::create({"zk2=10.0.0.2:2181"}, 32768);
  REQUIRE(naming.has_value());
  FlowNameCache cache(*naming);
  std::string tcp_bytes = ipv4(l4_tcp(Segment{}), 6);
  IpPacket tcp = parsed(tcp_bytes);
  const FlowNames& names = cache.names(tcp);
  CHECK(names.src_entity == naming->entity(tcp, tcp.src));
  CHECK(names.dst_entity == "zk2");
  CHECK(names.flow_key == TcpRetransmissionFilter::flow_key(tcp));
  CHECK(PacketNaming::replay_hint(names.hint_flow, tcp) == naming->replay_hint(tcp));

  // Same addresses and ports, other transport: another flow.
  std::string udp_bytes = ipv4(udp(40000, 2181, "x"), 17);
  IpPacket datagram = parsed(udp_bytes);
  const FlowNames& udp_names = cache.names(datagram);
  CHECK(udp_names.flow_key.empty());
  CHECK(udp_names.hint_flow.rfind("udp ", 0) == 0);
  CHECK(cache.size() == 2);
  Segment other;
  other.sport = 40001;
  std::string other_bytes = ipv4(l4_tcp(other), 6);
  CHECK(cache.names(parsed(other_bytes)).flow_key != names.flow_key);
  CHECK(cache.size() == 3);

  for (std::uint16_t port = 1; port <= FlowNameCache::kMaxFlows + 10; ++port) {
    std::string bytes = ipv4(udp(port, 9, ""), 17);
    cache.names(parsed(bytes));
  }
  CHECK(cache.size() <= FlowNameCache::kMaxFlows);
}

TEST_CASE("rule scripts: own chain, comment tag, exemption, queue bypass") {
  RuleSelector selector;
  selector.tcp_ports = "2181,2888:3888";
  selector.uid = 1000;
  std::string script = install_script(selector, 7);
  CHECK(script.find(":NMZ-Q7-OUT - [0:0]") != std::string::npos);
  CHECK(script.find("-I OUTPUT 1 -m comment --comment nmz-q7 -j NMZ-Q7-OUT") != std::string::npos);
  CHECK(script.find("-m mark --mark 0x4e4d5a00/0xffffff00") != std::string::npos);
  CHECK(script.find("-A NMZ-Q7-OUT -m owner --uid-owner 1000 -p tcp -m multiport --ports 2181,2888:3888 -m comment "
                    "--comment nmz-q7 -j NFQUEUE --queue-num 7 --queue-bypass") != std::string::npos);

  RuleSelector bridged;
  bridged.bridges = {"br0"};
  CHECK(install_script(bridged, 3).find("-A NMZ-Q3-FWD -m physdev --physdev-is-bridged -i br0 -m comment") !=
        std::string::npos);
  CHECK(install_script(RuleSelector{}, 3) == "*filter\nCOMMIT\n");
}

TEST_CASE("removal script: only this queue's rules and chains") {
  std::string listing =
      "-P OUTPUT ACCEPT\n-N NMZ-Q7-OUT\n-N NMZ-Q70-OUT\n-N USER\n"
      "-A OUTPUT -m comment --comment nmz-q7 -j NMZ-Q7-OUT\n"
      "-A OUTPUT -m comment --comment nmz-q70 -j NMZ-Q70-OUT\n"
      "-A OUTPUT -p tcp -j NFQUEUE --queue-num 7\n"
      "-A NMZ-Q7-OUT -p tcp -m comment --comment nmz-q7 -j NFQUEUE --queue-num 7 --queue-bypass\n";
  std::string script = removal_script(listing, 7);
  CHECK(script == "*filter\n-D OUTPUT -m comment --comment nmz-q7 -j NMZ-Q7-OUT\n-F NMZ-Q7-OUT\n-X NMZ-Q7-OUT\nCOMMIT\n");
  CHECK(removal_script("-P OUTPUT ACCEPT\n-A OUTPUT -p tcp -j NFQUEUE --queue-num 7\n", 7).empty());
}

TEST_CASE("flags: a missing cgroup is refused where the cgroup2 mount is visible") {
  if (cgroup2_root().empty()) return;  // e.g. under `ip netns exec`: iptables checks it then
  auto parsed_options = parse_ethernet_options({"-nfq-number", "1", "-rule-cgroup", "/no/such/nmz/cgroup"});
  CHECK_FALSE(parsed_options.has_value());
  CHECK(parsed_options.status().message().find("-rule-cgroup") != std::string::npos);
}

TEST_CASE("flags: modes, ranges and rule selectors are checked") {
  auto ok = parse_ethernet_options({"-nfq-number", "7", "-rule-tcp-ports=2181", "--queue-length", "5000"});
  REQUIRE(ok.has_value());
  CHECK(ok->nfq_mode());
  CHECK(ok->queue_length == 5000);
  auto hookswitch = parse_ethernet_options({});
  REQUIRE(hookswitch.has_value());
  CHECK(hookswitch->hookswitch == "ipc:///tmp/namazu-hookswitch-zmq");
  auto namazu_style = parse_ethernet_options({"-nfq-number", "-1", "-hookswitch", "tcp://127.0.0.1:5555"});
  REQUIRE(namazu_style.has_value());  // Namazu: a negative queue number means hookswitch mode
  CHECK_FALSE(namazu_style->nfq_mode());

  struct Bad {
    std::vector<std::string> args;
    const char* mentions;
  };
  for (const Bad& bad : std::vector<Bad>{{{"-nfq-number", "70000"}, "-nfq-number"},
                                         {{"-nfq-number", "x"}, "nfq-number"},
                                         {{"-hookswitch", ""}, "-hookswitch"},
                                         {{"-nfq-number", "1", "-queue-length", "0"}, "-queue-length"},
                                         {{"-nfq-number", "1", "-payload-bytes", "-1"}, "-payload-bytes"},
                                         {{"-nfq-number", "1", "-rule-tcp-ports", "80,"}, "-rule-tcp-ports"},
                                         {{"-nfq-number", "1", "-rule-tcp-ports", "0"}, "-rule-tcp-ports"},
                                         {{"-nfq-number", "1", "-rule-udp-ports", "1:2:3"}, "-rule-udp-ports"},
                                         {{"-nfq-number", "1", "-rule-uid", "-5"}, "-rule-uid"},
                                         {{"-nfq-number", "1", "-rule-cgroup", "relative"}, "-rule-cgroup"},
                                         {{"-nfq-number", "1", "-rule-bridge", "nmz-no-such-br"}, "-rule-bridge"},
                                         {{"-rule-tcp-ports", "80"}, "need -nfq-number"},
                                         {{"-nfq-number", "1", "extra"}, "unexpected argument"}}) {
    auto parsed_options = parse_ethernet_options(bad.args);
    CHECK_FALSE(parsed_options.has_value());
    CHECK_MESSAGE(parsed_options.status().message().find(bad.mentions) != std::string::npos,
                  parsed_options.status().message());
  }
}

namespace {

nmz::sdk::Event packet_between(const std::string& src, const std::string& dst) {
  return nmz::sdk::make_packet_event("eth", src, dst, "x", "h");
}

NetfaultParams window_params(FaultKind kind) {
  NetfaultParams p;
  p.faults = {kind};
  p.nodes = {"a", "b", "c"};
  p.fault_start_min = p.fault_start_max = std::chrono::seconds(1);
  p.fault_duration_min = p.fault_duration_max = std::chrono::seconds(2);
  p.duplicate_probability = 1;
  return p;
}

}  // namespace

TEST_CASE("netfault: the same seed gives the same plan and decisions") {
  NetfaultParams p;
  p.max_interval = std::chrono::milliseconds(50);
  std::set<std::string> plans;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    NetfaultPlanner one(p, seed);
    NetfaultPlanner two(p, seed);
    CHECK(one.describe() == two.describe());
    plans.insert(one.describe());
    for (int i = 0; i < 20; ++i) {
      auto e = packet_between("entity-10.0.0.1:1", "entity-10.0.0." + std::to_string(i % 4) + ":2");
      Decision d1 = one.decide(e, std::chrono::milliseconds(100 * i));
      Decision d2 = two.decide(e, std::chrono::milliseconds(100 * i));
      CHECK(d1.delay == d2.delay);
      CHECK(d1.drop == d2.drop);
    }
  }
  CHECK(plans.size() > 30);  // seeds really pick different kinds, victims and windows
}

TEST_CASE("netfault: partition drops exactly the crossing packets inside the window") {
  NetfaultPlanner planner(window_params(FaultKind::partition), 5);
  REQUIRE(planner.victim().has_value());
  std::string victim = *planner.victim();
  std::string other = victim == "a" ? "b" : "a";
  std::string third = victim == "c" ? "b" : "c";
  using std::chrono::milliseconds;
  CHECK_FALSE(planner.decide(packet_between(victim, other), milliseconds(500)).drop);
  CHECK(planner.decide(packet_between(victim, other), milliseconds(1500)).drop);
  CHECK(planner.decide(packet_between(other, victim), milliseconds(2500)).drop);
  CHECK_FALSE(planner.decide(packet_between(other, third), milliseconds(1500)).drop);
  CHECK_FALSE(planner.decide(packet_between(victim, other), milliseconds(3000)).drop);
}

TEST_CASE("netfault: clog, delay and duplicate aim at the victim only") {
  using std::chrono::milliseconds;
  NetfaultPlanner clog(window_params(FaultKind::clog), 9);
  std::string v = *clog.victim();
  std::string o = v == "a" ? "b" : "a";
  CHECK(clog.decide(packet_between(o, v), milliseconds(1200)).clog);
  CHECK_FALSE(clog.decide(packet_between(o, v), milliseconds(3200)).clog);

  NetfaultPlanner delay(window_params(FaultKind::delay), 9);
  CHECK(delay.decide(packet_between(*delay.victim(), "x"), milliseconds(1200)).delay >= milliseconds(100));
  CHECK(delay.decide(packet_between("x", "y"), milliseconds(1200)).delay == milliseconds(0));

  NetfaultPlanner dup(window_params(FaultKind::duplicate), 9);
  CHECK(dup.decide(packet_between("x", *dup.victim()), milliseconds(1200)).duplicates == 1);
  CHECK(dup.decide(packet_between("x", "y"), milliseconds(1200)).duplicates == 0);
}

TEST_CASE("netfault: without a node list the victim is the k-th node seen, by address") {
  NetfaultParams p = window_params(FaultKind::partition);
  p.nodes.clear();
  p.expected_nodes = 1;
  NetfaultPlanner planner(p, 3);
  CHECK_FALSE(planner.victim().has_value());
  planner.decide(packet_between("entity-[fd00::7]:80", "entity-10.0.0.2:9"), std::chrono::milliseconds(0));
  REQUIRE(planner.victim().has_value());
  CHECK(*planner.victim() == "fd00::7");
}
