// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cmath>
#include <set>

#include <doctest/doctest.h>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

std::size_t count_class(const std::vector<Emitted>& emitted, std::string_view class_name) {
  std::size_t n = 0;
  for (const auto& e : emitted) n += e.action.class_name == class_name ? 1 : 0;
  return n;
}

std::vector<Emitted> run_packets(const std::string& params, int events) {
  PolicyUnderTest random("random", params);
  REQUIRE(random.configured().is_ok());
  random.start();
  for (int i = 0; i < events; ++i) random.queue(sdk::make_packet_event("n1", "n1", "n2", "x", ""));
  REQUIRE(random.sink().wait_for(static_cast<std::size_t>(events)));
  random.stop();
  return random.sink().emitted();
}

TEST_CASE("random: faultActionProbability is exact (p = 0.3 over 20000 events within 4 sigma)") {
  constexpr int kEvents = 20000;
  constexpr double p = 0.3;
  auto emitted = run_packets("faultActionProbability = 0.3\n", kEvents);
  auto faults = static_cast<double>(count_class(emitted, sdk::action_class::packet_fault));
  double mean = kEvents * p;
  double sigma = std::sqrt(kEvents * p * (1 - p));
  CHECK(std::fabs(faults - mean) <= 4 * sigma);
  // Namazu's roll gave floor(1000p)/999 = 0.3003; the bound above is 0.0130
  // wide, so this checks exactness only as well as 20000 samples can.
  CHECK(count_class(emitted, sdk::action_class::event_acceptance) + static_cast<std::size_t>(faults) == kEvents);
}

TEST_CASE("random: p = 0 never faults, p = 1 always does") {
  CHECK(count_class(run_packets("faultActionProbability = 0\n", 2000), sdk::action_class::packet_fault) == 0);
  CHECK(count_class(run_packets("faultActionProbability = 1\n", 2000), sdk::action_class::packet_fault) == 2000);
  CHECK(count_class(run_packets("faultActionProbability = 1.0\n", 10), sdk::action_class::packet_fault) == 10);
}

TEST_CASE("random: only events with a fault action get faults") {
  PolicyUnderTest random("random", "faultActionProbability = 1\n");
  REQUIRE(random.configured().is_ok());
  random.start();
  random.queue(numbered(sdk::make_packet_event("n1", "n1", "n2", "x", ""), 0));
  random.queue(numbered(sdk::make_filesystem_event("fs", "pre-write", "/a", ""), 1));
  random.queue(numbered(sdk::make_nop_event("n1"), 2));
  random.queue(numbered(sdk::make_log_event("n1", "n1", "hello"), 3));
  random.queue(numbered(sdk::make_event("c", sdk::event_class::c_function, true, "{}"), 4));
  random.queue(numbered(sdk::make_event("n1", sdk::event_class::packet, false, "{}"), 5));
  random.queue(numbered(sdk::make_event("j", sdk::event_class::java_function, true, "{}"), 6));
  REQUIRE(random.sink().wait_for(7));
  std::map<std::string, std::string> by_event;
  for (const auto& e : random.sink().emitted()) by_event[e.action.event_uuid] = e.action.class_name;
  CHECK(by_event["e-0"] == sdk::action_class::packet_fault);
  CHECK(by_event["e-1"] == sdk::action_class::filesystem_fault);
  CHECK(by_event["e-2"] == sdk::action_class::nop);
  CHECK(by_event["e-3"] == sdk::action_class::nop);
  CHECK(by_event["e-4"] == sdk::action_class::event_acceptance);  // deferred, but no fault exists for it
  CHECK(by_event["e-5"] == sdk::action_class::nop);               // not deferred: nothing to fail
  CHECK(by_event["e-6"] == sdk::action_class::java_function_fault);
}

std::set<std::int64_t> fs_fault_errnos(const std::string& params) {
  PolicyUnderTest random("random", "faultActionProbability = 1\n" + params);
  REQUIRE(random.configured().is_ok());
  random.start();
  for (int i = 0; i < 200; ++i) random.queue(sdk::make_filesystem_event("fs", "pre-write", "/a", ""));
  REQUIRE(random.sink().wait_for(200));
  std::set<std::int64_t> errnos;
  for (const auto& e : random.sink().emitted()) {
    REQUIRE(e.action.class_name == sdk::action_class::filesystem_fault);
    errnos.insert(sdk::option_int(e.action.option, "errno").value_or(0));
  }
  return errnos;
}

TEST_CASE("random: faultErrno chooses the filesystem fault's errno") {
  CHECK(fs_fault_errnos("") == std::set<std::int64_t>{0});  // the inspector's default (EIO)
  CHECK(fs_fault_errnos("faultErrno = \"ENOSPC\"\n") == std::set<std::int64_t>{ENOSPC});
  CHECK(fs_fault_errnos("faultErrno = [\"ENOSPC\", \"EROFS\", \"EWOULDBLOCK\"]\n") ==
        std::set<std::int64_t>{ENOSPC, EROFS, EAGAIN});
}

TEST_CASE("random: faultErrno leaves packet faults alone") {
  PolicyUnderTest random("random", "faultActionProbability = 1\nfaultErrno = \"ENOSPC\"\n");
  REQUIRE(random.configured().is_ok());
  random.start();
  random.queue(sdk::make_packet_event("n1", "n1", "n2", "x", ""));
  REQUIRE(random.sink().wait_for(1));
  auto action = random.sink().emitted().front().action;
  CHECK(action.class_name == sdk::action_class::packet_fault);
  CHECK(action.option == "{}");
}

}  // namespace
}  // namespace nmz::test
