// SPDX-License-Identifier: Apache-2.0
// The rules of run signatures (docs/experiments.md, "Run signatures"): what
// makes two runs the same behaviour and what does not.
#include <doctest/doctest.h>

#include <nmz/sdk/signal.hpp>

#include "experiment/run_signature.hpp"

using namespace nmz;
using core::experiment::make_run_signature;
using core::experiment::script_abstract;
using core::experiment::trace_abstract;

namespace {

using Clock = std::chrono::system_clock;

// One three-node election, as the ethernet inspector reports it for nodes
// in network namespaces of their own (10.0.0.1 to 10.0.0.3) without -node
// names: Namazu's automatic "entity-ADDR:PORT" names, whose ports (`base`
// where the nodes listen, the kernel's ephemeral ones for each connection)
// change from run to run, as do uuids, times and TCP payload digests.
struct ElectionRun {
  int base = 20000;
  int ephemeral = 41000;
  std::string digest = "00112233aabbccdd";
  Clock::time_point t0 = Clock::now();
  core::Trace trace;

  std::string server(int n) const { return "entity-10.0.0." + std::to_string(n + 1) + ":" + std::to_string(base); }
  std::string client(int from, int to) const {
    return "entity-10.0.0." + std::to_string(from + 1) + ":" + std::to_string(ephemeral + 3 * from + to);
  }

  ElectionRun& packet(const std::string& src, const std::string& dst, std::string_view flags, int length,
                      std::chrono::milliseconds held = std::chrono::milliseconds(3),
                      std::string_view action = sdk::action_class::event_acceptance) {
    auto event = sdk::make_packet_event("ethernet", src, dst, "frame",
                                        "tcp *>* " + std::string(flags) + " " + std::to_string(length) + " " + digest);
    const auto arrived = t0 + std::chrono::milliseconds(10 * trace.size());
    trace.push_back({sdk::make_action(event, action), event, arrived, arrived + held});
    return *this;
  }
  // Node a sends its vote to node b over a fresh connection: SYN, data, ACKs.
  ElectionRun& vote(int a, int b, int acks = 1) {
    packet(client(a, b), server(b), "S", 0).packet(server(b), client(a, b), "S", 0).packet(client(a, b), server(b), "-", 48);
    for (int i = 0; i < acks; ++i) packet(server(b), client(a, b), "-", 0);
    return *this;
  }
};

ElectionRun election(int base, int ephemeral, const std::string& digest, int acks) {
  ElectionRun run{base, ephemeral, digest, Clock::now() + std::chrono::hours(base - 20000), {}};
  run.vote(1, 0, acks).vote(2, 0, acks).vote(0, 1, acks).vote(2, 1, acks).vote(0, 2, acks).vote(1, 2, acks);
  return run;
}

std::string id_of(const core::Trace& trace, std::string_view script = "") {
  return make_run_signature(script_abstract(script), trace_abstract(trace)).id;
}

}  // namespace

TEST_CASE("two runs with the same behaviour get the same signature") {
  // Different ports (the run's slot and the kernel's ephemeral ones), TCP
  // payload digests (sequence numbers, times in the payload), uuids, start
  // times and numbers of pure ACKs.
  const auto a = election(20000, 41000, "00112233aabbccdd", 1);
  const auto b = election(20002, 53120, "ffeeddcc99887766", 3);
  CHECK(trace_abstract(a.trace) == trace_abstract(b.trace));
  CHECK(id_of(a.trace) == id_of(b.trace));
  CHECK(id_of(a.trace).size() == 16);
  // Readable: each receiver's inbox, endpoints by order of appearance.
  CHECK(trace_abstract(a.trace).find("recv 10.0.0.1#0: 10.0.0.2#0+ 10.0.0.2#0 10.0.0.3#0+ 10.0.0.3#0;") !=
        std::string::npos);
}

TEST_CASE("reordering one election message changes the signature") {
  const auto a = election(20000, 41000, "00112233aabbccdd", 1);
  ElectionRun b{20000, 41000, "00112233aabbccdd", Clock::now(), {}};
  // Node 0 hears node 2's vote before node 1's.
  b.vote(2, 0).vote(1, 0).vote(0, 1).vote(2, 1).vote(0, 2).vote(1, 2);
  CHECK(id_of(a.trace) != id_of(b.trace));
}

TEST_CASE("who talked to whom: a missing message changes it, a repeated one does not") {
  const auto a = election(20000, 41000, "00", 1);
  auto repeated = election(20000, 41000, "00", 1);
  // A second segment of the last vote, right after the first one.
  repeated.trace.insert(repeated.trace.end() - 1, repeated.trace[repeated.trace.size() - 2]);
  CHECK(id_of(a.trace) == id_of(repeated.trace));
  ElectionRun missing{20000, 41000, "00", Clock::now(), {}};
  missing.vote(1, 0).vote(2, 0).vote(0, 1).vote(2, 1).vote(0, 2);
  CHECK(id_of(a.trace) != id_of(missing.trace));
}

TEST_CASE("only the first steps of each inbox count") {
  auto a = election(20000, 41000, "00", 1);
  auto b = election(20000, 41000, "00", 1);
  // Heartbeats to node 0: the same first ones, then a different interleaving.
  for (auto* run : {&a, &b}) {
    for (int i = 0; i < 8; ++i) run->packet(run->client(i % 2 + 1, 0), run->server(0), "-", 16);
  }
  for (int i = 0; i < 20; ++i) a.packet(a.client(i % 2 + 1, 0), a.server(0), "-", 16);
  for (int i = 0; i < 20; ++i) b.packet(b.client(2 - i % 2, 0), b.server(0), "-", 16);
  CHECK(id_of(a.trace) == id_of(b.trace));
}

TEST_CASE("faults that fired are part of it, their numbers in powers of two") {
  auto one = election(20000, 41000, "00", 1);
  one.packet(one.client(1, 0), one.server(0), "-", 48, std::chrono::milliseconds(1), sdk::action_class::packet_fault);
  CHECK(trace_abstract(one.trace).find("faults: fault 10.0.0.2#0>10.0.0.1#0") != std::string::npos);
  CHECK(id_of(one.trace) != id_of(election(20000, 41000, "00", 1).trace));
  auto three = one;
  auto two = one;
  for (int i = 0; i < 2; ++i) {
    three.packet(three.client(1, 0), three.server(0), "-", 48, std::chrono::milliseconds(1), sdk::action_class::packet_fault);
  }
  two.packet(two.client(1, 0), two.server(0), "-", 48, std::chrono::milliseconds(1), sdk::action_class::packet_fault);
  CHECK(id_of(one.trace) != id_of(two.trace));
  CHECK(id_of(two.trace) == id_of(three.trace));
  CHECK(trace_abstract(three.trace).find(" x2+") != std::string::npos);
}

TEST_CASE("events held longest are named, in coarse buckets; ordinary delays are not") {
  const auto plain = election(20000, 41000, "00", 1);
  auto jitter = election(20000, 41000, "00", 1);
  for (auto& entry : jitter.trace) entry.action_triggered = entry.event_arrived + std::chrono::milliseconds(150);
  CHECK(id_of(plain.trace) == id_of(jitter.trace));

  auto slowed = [](std::chrono::milliseconds held) {
    auto run = election(20000, 41000, "00", 1);
    run.trace[2].action_triggered = run.trace[2].event_arrived + held;
    return run;
  };
  const auto a = slowed(std::chrono::milliseconds(420));
  CHECK(trace_abstract(a.trace).find("held>=0.2s: 10.0.0.2#0>10.0.0.1#0") != std::string::npos);
  CHECK(id_of(a.trace) == id_of(slowed(std::chrono::milliseconds(900)).trace));
  CHECK(id_of(a.trace) != id_of(slowed(std::chrono::milliseconds(1500)).trace));
  CHECK(id_of(a.trace) != id_of(plain.trace));
}

TEST_CASE("user-named nodes keep their names; other events by their replay hints without per-run numbers") {
  core::Trace trace;
  auto packet = sdk::make_packet_event("ethernet", "zk2", "zk1", "", "tcp zk2>zk1 - 48 0011");
  trace.push_back({sdk::default_action(packet), packet, {}, {}});
  auto fs1 = sdk::make_filesystem_event("fs", "write", "version-2/log.100000001", "write version-2/log.100000001");
  trace.push_back({sdk::default_action(fs1), fs1, {}, {}});
  const auto text = trace_abstract(trace);
  CHECK(text.find("recv zk1: zk2") != std::string::npos);
  CHECK(text.find("recv fs: write version-2/log.<hex>") != std::string::npos);

  core::Trace other = trace;
  auto fs2 = sdk::make_filesystem_event("fs", "write", "version-2/log.200000007", "write version-2/log.200000007");
  other[1] = {sdk::default_action(fs2), fs2, {}, {}};
  CHECK(trace_abstract(other) == text);
  auto native = sdk::make_event("native", sdk::event_class::c_function, false, "{}",
                                "lock:T2:o1 at 0x7ffd12ab 3f2a9c1e-1b2c-4d5e-8f90-1234567890ab");
  core::Trace with_native{{sdk::default_action(native), native, {}, {}}};
  CHECK(trace_abstract(with_native) == "recv native: lock:T2:o1 at 0x# <uuid>");
}

TEST_CASE("the signature script's output is part of it, whitespace aside") {
  const auto run = election(20000, 41000, "00", 1);
  CHECK(id_of(run.trace, "leader=2 epoch=1\n") == id_of(run.trace, "  leader=2 epoch=1  \n\n"));
  CHECK(id_of(run.trace, "leader=2 epoch=1\n") != id_of(run.trace, "leader=3 epoch=1\n"));
  CHECK(script_abstract("a\n b \r\n\nc\xff\x01") == "a / b / c? ");
  const auto signature = make_run_signature(script_abstract("leader=2\n"), "");
  CHECK(signature.text == "script: leader=2");
  CHECK(make_run_signature("", "").text == "(nothing observed)");
  CHECK(script_abstract(std::string(2000, 'x')).size() == 512);
}
