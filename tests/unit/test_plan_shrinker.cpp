// SPDX-License-Identifier: Apache-2.0
// `nmz tools shrink`'s search: delta debugging over a plan's faults, then
// shorter windows and delays, against a pure oracle.
#include <doctest/doctest.h>

#include "experiment/plan_shrinker.hpp"

using nlohmann::json;
using nmz::core::experiment::plan_fault_seconds;
using nmz::core::experiment::plan_outline;
using nmz::core::experiment::shrink_plan;

namespace {

json fault(const char* kind, int role, std::int64_t start_ms, std::int64_t end_ms, std::int64_t delay_ms = -1) {
  json f{{"kind", kind}, {"role", role}, {"start_ns", start_ms * 1'000'000}, {"end_ns", end_ms * 1'000'000}};
  if (delay_ms >= 0) f["delay_ns"] = delay_ms * 1'000'000;
  return f;
}

// Five faults; only a slow node#2 of at least 300 ms whose window covers
// t = 1 s makes the target fail.
json five_fault_plan() {
  return json{{"faults",
               {fault("partition", 0, 2000, 4000), fault("slow-node", 1, 0, 3000, 900),
                fault("slow-node", 2, 500, 4500, 1200), fault("pause-process", 0, 100, 900),
                fault("fail-fs", 1, 0, 5000)}}};
}

bool only_slow_node2_matters(const json& plan) {
  for (const json& f : plan["faults"]) {
    if (f["kind"] == "slow-node" && f["role"] == 2 && f["delay_ns"].get<std::int64_t>() >= 300'000'000 &&
        f["start_ns"].get<std::int64_t>() <= 1'000'000'000 && f["end_ns"].get<std::int64_t>() > 1'000'000'000) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("shrink: a 5-fault plan comes down to the 1 fault that matters, with a shorter window and delay") {
  int calls = 0;
  auto outcome = shrink_plan(five_fault_plan(), [&](const json& plan) {
    ++calls;
    return only_slow_node2_matters(plan);
  });
  CHECK(outcome.reproduced);
  REQUIRE(outcome.plan["faults"].size() == 1);
  const json& f = outcome.plan["faults"][0];
  CHECK(f["kind"] == "slow-node");
  CHECK(f["role"] == 2);
  CHECK(f["start_ns"] == 500'000'000);
  CHECK(f["end_ns"] == 1'500'000'000);   // 4 s -> 2 s -> 1 s; 0.5 s would end at t = 1 s
  CHECK(f["delay_ns"] == 300'000'000);   // 1200 -> 600 -> 300; 150 is too short
  CHECK(outcome.candidates == static_cast<std::size_t>(calls));
  CHECK(calls <= 20);
  CHECK(plan_fault_seconds(five_fault_plan()) == doctest::Approx(2 + 3 + 4 + 0.8 + 5));
  CHECK(plan_outline(outcome.plan) == "  slow-node node#2 300 ms [0.5 s, 1.5 s)\n");
  // A window measured from its target's first event says so.
  json anchored = outcome.plan;
  anchored["faults"][0]["anchor"] = "target";
  CHECK(plan_outline(anchored) == "  slow-node node#2 300 ms [0.5 s, 1.5 s) after its first event\n");
}

TEST_CASE("shrink: two faults that only fail together both stay") {
  auto outcome = shrink_plan(five_fault_plan(), [](const json& plan) {
    bool partition = false;
    bool pause = false;
    for (const json& f : plan["faults"]) {
      partition = partition || f["kind"] == "partition";
      pause = pause || f["kind"] == "pause-process";
    }
    return partition && pause;
  });
  REQUIRE(outcome.plan["faults"].size() == 2);
  CHECK(outcome.plan["faults"][0]["kind"] == "partition");
  CHECK(outcome.plan["faults"][1]["kind"] == "pause-process");
}

TEST_CASE("shrink: a plan that does not fail again is reported as such, and the budget is kept") {
  int calls = 0;
  auto outcome = shrink_plan(five_fault_plan(), [&](const json&) {
    ++calls;
    return false;
  });
  CHECK(!outcome.reproduced);
  CHECK(calls == 1);
  CHECK(outcome.plan == five_fault_plan());
  calls = 0;
  outcome = shrink_plan(five_fault_plan(), [&](const json&) { return ++calls > 0; }, {3});
  CHECK(calls == 3);
  CHECK(outcome.candidates == 3);
}
