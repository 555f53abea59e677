// SPDX-License-Identifier: Apache-2.0
#include <set>
#include <thread>

#include <nmz/sdk/proc_sched.hpp>

#include <doctest/doctest.h>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

using namespace std::chrono_literals;

sdk::Event event_of_kind(int i) {
  switch (i % 4) {
    case 0:
      return numbered(sdk::make_packet_event("n1", "n1", "n2", "x", std::to_string(i)), i);
    case 1:
      return numbered(sdk::make_filesystem_event("fs", "pre-write", "/f", std::to_string(i)), i);
    case 2:
      return numbered(sdk::make_proc_set_event("proc", {i, i + 1}, {i}), i);
    default:
      return numbered(sdk::make_nop_event("n2"), i);
  }
}

// 10000 events held for an hour or more: queue_event returns at once for
// each, nothing is released early, and stop() releases every one of them
// with its default action, exactly once.
void check_holds_and_releases(const std::string& policy, const std::string& params) {
  CAPTURE(policy);
  CAPTURE(params);
  PolicyUnderTest under_test(policy, params);
  REQUIRE(under_test.configured().is_ok());
  under_test.start();
  constexpr int kEvents = 10000;
  std::map<std::string, std::string> expected;
  auto before = Clock::now();
  for (int i = 0; i < kEvents; ++i) {
    auto event = event_of_kind(i);
    expected[event.uuid] = sdk::default_action(event).class_name;
    under_test.queue(std::move(event));
  }
  // Generous on purpose: a queue_event that waited for its delay would take
  // an hour per event, not 10000 events per minute.
  CHECK(Clock::now() - before < 60s);
  CHECK(under_test.sink().size() == 0);
  under_test.stop();
  auto emitted = under_test.sink().emitted();
  CHECK(emitted.size() == kEvents);
  std::map<std::string, std::string> got;
  for (const auto& e : emitted) CHECK(got.emplace(e.action.event_uuid, e.action.class_name).second);
  CHECK(got == expected);
}

TEST_CASE("queue_event never blocks; stop() releases every held event with its default action") {
  check_holds_and_releases("dumb", "interval = \"1h\"\n");
  check_holds_and_releases("random", "minInterval = \"1h\"\n");
  check_holds_and_releases("random", "minInterval = \"1h\"\nmaxInterval = \"2h\"\n");
  // Faults decided at queue time are not injected by a stopping run.
  check_holds_and_releases("random",
                           "minInterval = \"1h\"\nmaxInterval = \"2h\"\nfaultActionProbability = 1\n"
                           "[explorePolicyParam.procPolicyParam]\npauseProbability = 1\n");
  // A hash modulo 2h would give some of the 10000 events a delay of seconds;
  // with the harness's seed "42" and these hints the shortest is 22 hours.
  check_holds_and_releases("replayable", "maxInterval = \"2000000h\"\n");
}

TEST_CASE("random: concurrent queue_event from several threads, everything answered once") {
  PolicyUnderTest random("random", "minInterval = \"0ms\"\nmaxInterval = \"2ms\"\nfaultActionProbability = 0.5\n");
  REQUIRE(random.configured().is_ok());
  random.start();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&random, t] {
      for (int i = 0; i < kPerThread; ++i) random.queue(event_of_kind(t * kPerThread + i));
    });
  }
  for (auto& thread : threads) thread.join();
  random.stop();
  auto emitted = random.sink().emitted();
  CHECK(emitted.size() == kThreads * kPerThread);
  std::set<std::string> answered;
  for (const auto& e : emitted) answered.insert(e.action.event_uuid);
  CHECK(answered.size() == kThreads * kPerThread);
}

}  // namespace
}  // namespace nmz::test
