// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <nmz/sdk/proc_sched.hpp>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("replayable: delay = FNV-1a-64(seed ‖ hint) mod maxInterval, then the default action") {
  // Reference values of FNV-1a-64 (the published test vectors):
  // "foobar" = 0x85944171f73967e8, "foo" = 0xdcb27518fed9d577,
  // "a" = 0xaf63dc4c8601ec8c, "" = 0xcbf29ce484222325.
  PolicyUnderTest replayable("replayable", "maxInterval = \"100ms\"\n",
                             {.seed = 7, .seed_text = "foo", .debug = true});
  REQUIRE(replayable.configured().is_ok());
  replayable.start();
  replayable.queue(numbered(sdk::make_packet_event("n1", "n1", "n2", "x", "bar"), 0));
  replayable.queue(numbered(sdk::make_filesystem_event("fs", "pre-read", "/a", "bar"), 1));
  replayable.queue(numbered(sdk::make_proc_set_event("proc", {1, 2}), 2));
  REQUIRE(replayable.sink().wait_for(3));
  auto decided = decisions(replayable.context());
  REQUIRE(decided.size() == 3);
  CHECK(decided[0].delay.count() == static_cast<std::int64_t>(0x85944171f73967e8ULL % 100'000'000ULL));
  CHECK(decided[1].delay == decided[0].delay);  // same hint, same delay
  // No hint: the seed's hash alone ("foo" = 0xdcb27518fed9d577).
  CHECK(decided[2].delay.count() == static_cast<std::int64_t>(0xdcb27518fed9d577ULL % 100'000'000ULL));
  std::map<std::string, Emitted> by_event;
  for (const auto& e : replayable.sink().emitted()) by_event.emplace(e.action.event_uuid, e);
  CHECK(by_event.at("e-0").action.class_name == sdk::action_class::event_acceptance);
  CHECK(by_event.at("e-1").action.class_name == sdk::action_class::event_acceptance);
  CHECK(by_event.at("e-2").action.class_name == sdk::action_class::nop);
  for (const auto& d : decided) CHECK(by_event.at(d.event_uuid).at - replayable.queued_at(d.event_uuid) >= d.delay);
}

TEST_CASE("replayable: an empty seed hashes the hint alone (Namazu's default)") {
  PolicyUnderTest replayable("replayable", "maxInterval = \"1s\"\n", {.seed = 0, .seed_text = "", .debug = true});
  REQUIRE(replayable.configured().is_ok());
  replayable.start();
  replayable.queue(numbered(sdk::make_nop_event("n", "{}"), 0));
  auto event = sdk::make_event("n", sdk::event_class::nop, false, "{}", "a");
  replayable.queue(numbered(event, 1));
  REQUIRE(replayable.sink().wait_for(2));
  auto decided = decisions(replayable.context());
  REQUIRE(decided.size() == 2);
  CHECK(decided[0].delay.count() == static_cast<std::int64_t>(0xcbf29ce484222325ULL % 1'000'000'000ULL));
  CHECK(decided[1].delay.count() == static_cast<std::int64_t>(0xaf63dc4c8601ec8cULL % 1'000'000'000ULL));
}

TEST_CASE("replayable: maxInterval defaults to 10ms; 0 warns and does not delay") {
  {
    PolicyUnderTest replayable("replayable", "", {.seed = 1, .seed_text = "x", .debug = true});
    REQUIRE(replayable.configured().is_ok());
    replayable.start();
    for (int i = 0; i < 50; ++i) {
      replayable.queue(numbered(sdk::make_event("n", sdk::event_class::nop, false, "{}", std::to_string(i)), i));
    }
    REQUIRE(replayable.sink().wait_for(50));
    for (const auto& d : decisions(replayable.context())) CHECK(d.delay < 10ms);
  }
  PolicyUnderTest replayable("replayable", "maxInterval = 0\n", {.seed = 1, .seed_text = "x", .debug = true});
  REQUIRE(replayable.configured().is_ok());
  auto warnings = replayable.context().recorded().lines(sdk::LogLevel::warn);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "maxInterval is 0: events are not delayed");
  replayable.start();
  replayable.queue(sdk::make_packet_event("n1", "n1", "n2", "x", "bar"));
  // Not delayed at all: answered before queue_event returned.
  CHECK(replayable.sink().size() == 1);
  CHECK(decisions(replayable.context()).at(0).delay.count() == 0);
}

}  // namespace
}  // namespace nmz::test
