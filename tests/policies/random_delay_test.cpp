// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <set>

#include <doctest/doctest.h>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

using namespace std::chrono_literals;

// Every event answered exactly once, by an action released no earlier than its decided delay.
void check_released_after_delay(PolicyUnderTest& policy, const std::vector<Decision>& decided) {
  auto emitted = policy.sink().emitted();
  std::map<std::string, Clock::time_point> released;
  for (const auto& e : emitted) CHECK(released.emplace(e.action.event_uuid, e.at).second);
  for (const auto& d : decided) {
    REQUIRE(released.count(d.event_uuid) == 1);
    CHECK(released[d.event_uuid] - policy.queued_at(d.event_uuid) >= d.delay);
  }
}

TEST_CASE("random: minInterval < maxInterval draws delays in [min, max) and reorders") {
  PolicyUnderTest random("random", "minInterval = \"2ms\"\nmaxInterval = \"30ms\"\n", {.debug = true});
  REQUIRE(random.configured().is_ok());
  random.start();
  constexpr int kEvents = 300;
  for (int i = 0; i < kEvents; ++i) random.queue(numbered(sdk::make_packet_event("n1", "n1", "n2", "x", ""), i));
  REQUIRE(random.sink().wait_for(kEvents));
  auto decided = decisions(random.context());
  REQUIRE(decided.size() == kEvents);
  std::set<std::int64_t> distinct;
  for (const auto& d : decided) {
    CHECK(d.delay >= 2ms);
    CHECK(d.delay < 30ms);
    distinct.insert(d.delay.count());
  }
  CHECK(distinct.size() > kEvents / 2);
  check_released_after_delay(random, decided);
  auto emitted = random.sink().emitted();
  bool in_queue_order = std::is_sorted(emitted.begin(), emitted.end(), [](const Emitted& a, const Emitted& b) {
    return std::stoi(a.action.event_uuid.substr(2)) < std::stoi(b.action.event_uuid.substr(2));
  });
  CHECK_FALSE(in_queue_order);
}

TEST_CASE("random: minInterval == maxInterval keeps order with a constant spacing") {
  PolicyUnderTest random("random", "minInterval = \"2ms\"\nmaxInterval = \"2ms\"\n", {.debug = true});
  REQUIRE(random.configured().is_ok());
  random.start();
  constexpr int kEvents = 40;
  for (int i = 0; i < kEvents; ++i) random.queue(numbered(sdk::make_packet_event("n1", "n1", "n2", "x", ""), i));
  REQUIRE(random.sink().wait_for(kEvents));
  auto emitted = random.sink().emitted();
  auto first_queued = random.queued_at("e-0");
  for (int i = 0; i < kEvents; ++i) {
    CHECK(emitted[static_cast<std::size_t>(i)].action.event_uuid == "e-" + std::to_string(i));
    CHECK(emitted[static_cast<std::size_t>(i)].at - first_queued >= (i + 1) * 2ms);
  }
  for (const auto& d : decisions(random.context())) CHECK(d.delay == 2ms);
}

TEST_CASE("random: maxInterval defaults to minInterval") {
  PolicyUnderTest random("random", "minInterval = \"3ms\"\n", {.debug = true});
  REQUIRE(random.configured().is_ok());
  random.start();
  for (int i = 0; i < 5; ++i) random.queue(numbered(sdk::make_nop_event("n"), i));
  REQUIRE(random.sink().wait_for(5));
  for (const auto& d : decisions(random.context())) CHECK(d.delay == 3ms);
}

TEST_CASE("random: prioritizedEntities get both bounds x0.8") {
  SUBCASE("random delays") {
    PolicyUnderTest random("random",
                           "minInterval = \"10ms\"\nmaxInterval = \"20ms\"\nprioritizedEntities = [\"fast\"]\n",
                           {.debug = true});
    REQUIRE(random.configured().is_ok());
    random.start();
    for (int i = 0; i < 400; ++i) random.queue(numbered(sdk::make_nop_event(i % 2 == 0 ? "fast" : "slow"), i));
    REQUIRE(random.sink().wait_for(400));
    std::chrono::nanoseconds fast_max{0};
    std::chrono::nanoseconds slow_min = 1h;
    for (const auto& d : decisions(random.context())) {
      if (d.entity == "fast") {
        CHECK(d.delay >= 8ms);
        CHECK(d.delay < 16ms);
        fast_max = std::max(fast_max, d.delay);
      } else {
        CHECK(d.delay >= 10ms);
        CHECK(d.delay < 20ms);
        slow_min = std::min(slow_min, d.delay);
      }
    }
    // The prioritized range really is lower, not just a subset of the other.
    CHECK(slow_min < 11ms);
    CHECK(fast_max > 15ms);
  }
  SUBCASE("fixed delays") {
    PolicyUnderTest random("random", "minInterval = \"10ms\"\nprioritizedEntities = [\"fast\"]\n", {.debug = true});
    REQUIRE(random.configured().is_ok());
    random.start();
    random.queue(numbered(sdk::make_nop_event("fast"), 0));
    random.queue(numbered(sdk::make_nop_event("slow"), 1));
    REQUIRE(random.sink().wait_for(2));
    auto decided = decisions(random.context());
    REQUIRE(decided.size() == 2);
    CHECK(decided[0].delay == 8ms);
    CHECK(decided[1].delay == 10ms);
  }
}

}  // namespace
}  // namespace nmz::test
