// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "stream_scheduler.hpp"

using nmz::native::PolicyKind;
using nmz::plugins::StreamScheduler;

namespace {

nmz::sdk::Event event_from(const std::string& node, int n) {
  auto event = nmz::sdk::make_event("inspector", nmz::sdk::event_class::c_function, true,
                                    "{\"thread\":\"" + node + "\",\"n\":" + std::to_string(n) + "}");
  event.uuid = node + std::to_string(n);
  return event;
}

std::vector<std::string> release_all(StreamScheduler& scheduler) {
  std::vector<std::string> order;
  while (!scheduler.empty()) order.push_back(scheduler.next().uuid);
  return order;
}

void add_three_streams(StreamScheduler& scheduler) {
  for (int n = 1; n <= 3; ++n) {
    for (const char* node : {"a", "b", "c"}) scheduler.add(event_from(node, n));
  }
}

}  // namespace

TEST_CASE("stream keys: the option's thread, thread_name or src_entity, else the entity") {
  CHECK(StreamScheduler::stream_of(nmz::sdk::make_event("e", "CFunctionEvent", true, R"({"thread":"T1"})")) == "e/T1");
  CHECK(StreamScheduler::stream_of(nmz::sdk::make_event("e", "JavaFunctionEvent", true, R"({"thread_name":"main"})")) ==
        "e/main");
  CHECK(StreamScheduler::stream_of(nmz::sdk::make_event("e", "PacketEvent", true, R"({"src_entity":"n1"})")) == "e/n1");
  CHECK(StreamScheduler::stream_of(nmz::sdk::make_event("e", "FilesystemEvent", true, R"({"op":"x"})")) == "e");
}

TEST_CASE("pct depth 1 releases streams in a strict priority order and keeps each stream's order") {
  StreamScheduler scheduler(PolicyKind::pct, 1, 42, 10);
  add_three_streams(scheduler);
  auto order = release_all(scheduler);
  REQUIRE(order.size() == 9);
  // All of the first stream, then all of the second, then the third.
  for (int block = 0; block < 3; ++block) {
    char node = order[static_cast<std::size_t>(block) * 3][0];
    for (int n = 0; n < 3; ++n) CHECK(order[static_cast<std::size_t>(block * 3 + n)] == std::string(1, node) + std::to_string(n + 1));
  }
}

TEST_CASE("the same seed gives the same order; other seeds give other orders") {
  for (PolicyKind kind : {PolicyKind::pct, PolicyKind::random_walk}) {
    std::set<std::vector<std::string>> orders;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      StreamScheduler first(kind, 3, seed, 9);
      StreamScheduler second(kind, 3, seed, 9);
      add_three_streams(first);
      add_three_streams(second);
      auto order = release_all(first);
      CHECK(order == release_all(second));
      orders.insert(order);
    }
    CHECK(orders.size() >= 3);
  }
}

TEST_CASE("pct change points preempt a stream: depth 2 interleaves where depth 1 never does") {
  bool interleaved = false;
  for (std::uint64_t seed = 1; seed <= 40 && !interleaved; ++seed) {
    StreamScheduler scheduler(PolicyKind::pct, 2, seed, 6);
    add_three_streams(scheduler);
    auto order = release_all(scheduler);
    interleaved = order[0][0] != order[1][0] || order[1][0] != order[2][0];
  }
  CHECK(interleaved);
}

TEST_CASE("drain hands back what is held, oldest first") {
  StreamScheduler scheduler(PolicyKind::random_walk, 1, 7, 1);
  add_three_streams(scheduler);
  scheduler.next();
  auto rest = scheduler.drain();
  CHECK(rest.size() == 8);
  CHECK(scheduler.empty());
  for (std::size_t i = 1; i < rest.size(); ++i) {
    CHECK(rest[i - 1].uuid.substr(1) <= rest[i].uuid.substr(1));
  }
}
