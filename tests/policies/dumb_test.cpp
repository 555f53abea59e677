// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("dumb: default actions in arrival order, releases `interval` apart") {
  PolicyUnderTest dumb("dumb", "interval = \"4ms\"\n");
  REQUIRE(dumb.configured().is_ok());
  dumb.start();
  constexpr int kEvents = 20;
  for (int i = 0; i < kEvents; ++i) {
    dumb.queue(numbered(i % 2 == 0 ? sdk::make_packet_event("n1", "n1", "n2", "x", "")
                                   : sdk::make_nop_event("n1"),
                        i));
  }
  REQUIRE(dumb.sink().wait_for(kEvents));
  auto emitted = dumb.sink().emitted();
  REQUIRE(emitted.size() == kEvents);
  auto first_queued = dumb.queued_at("e-0");
  for (int i = 0; i < kEvents; ++i) {
    const auto& action = emitted[static_cast<std::size_t>(i)].action;
    CHECK(action.event_uuid == "e-" + std::to_string(i));
    CHECK(action.class_name == (i % 2 == 0 ? sdk::action_class::event_acceptance : sdk::action_class::nop));
    // Serial releases: the i-th comes no earlier than (i+1) intervals after the first arrived.
    CHECK(emitted[static_cast<std::size_t>(i)].at - first_queued >= (i + 1) * 4ms);
  }
}

TEST_CASE("dumb: zero interval passes events through at once, in order") {
  PolicyUnderTest dumb("dumb", "");
  REQUIRE(dumb.configured().is_ok());
  dumb.start();
  for (int i = 0; i < 1000; ++i) dumb.queue(numbered(sdk::make_nop_event("n"), i));
  // Nothing is held with a zero interval: everything was emitted by the time queue returned.
  auto emitted = dumb.sink().emitted();
  REQUIRE(emitted.size() == 1000);
  for (std::size_t i = 0; i < emitted.size(); ++i) CHECK(emitted[i].action.event_uuid == "e-" + std::to_string(i));
}

}  // namespace
}  // namespace nmz::test
