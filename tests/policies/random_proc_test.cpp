// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <set>
#include <thread>

#include <doctest/doctest.h>

#include <nmz/sdk/proc_sched.hpp>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

using namespace std::chrono_literals;
using sdk::SchedPolicy;

std::vector<int> range(int first, int count) {
  std::vector<int> ids(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) ids[static_cast<std::size_t>(i)] = first + i;
  return ids;
}

// The plans the policy answers `events` ProcSetEvents of `threads` threads
// (and `processes` processes) with.
std::vector<sdk::ProcSchedPlan> plans(const std::string& params, int events, int threads, int processes = 0) {
  PolicyUnderTest random("random", params);
  REQUIRE_MESSAGE(random.configured().is_ok(), random.configured().message());
  random.start();
  for (int i = 0; i < events; ++i) {
    random.queue(numbered(sdk::make_proc_set_event("proc", range(1000, threads), range(500, processes)), i));
  }
  REQUIRE(random.sink().wait_for(static_cast<std::size_t>(events)));
  std::vector<sdk::ProcSchedPlan> out;
  for (const auto& e : random.sink().emitted()) {
    REQUIRE(e.action.class_name == sdk::action_class::proc_set_sched);
    CHECK(e.action.entity == "proc");
    auto plan = sdk::proc_sched_plan(e.action);
    REQUIRE(plan);
    CHECK(plan->attrs.size() == static_cast<std::size_t>(threads));
    for (int tid : range(1000, threads)) CHECK(plan->attrs.count(tid) == 1);
    out.push_back(std::move(*plan));
  }
  return out;
}

int cpu_count() { return static_cast<int>(std::max(1U, std::thread::hardware_concurrency())); }

TEST_CASE("random/mild: BATCH (or NORMAL without useBatch), nice over [-20, 19]") {
  std::set<int> nices;
  for (const auto& plan : plans("procPolicy = \"mild\"\n", 100, 5)) {
    for (const auto& [tid, a] : plan.attrs) {
      CHECK(a.policy == SchedPolicy::batch);
      CHECK(a.nice >= -20);
      CHECK(a.nice <= 19);
      CHECK(a.priority == 0);
      CHECK(a.cpus.empty());
      nices.insert(a.nice);
    }
    CHECK(plan.pauses.empty());
  }
  CHECK(*nices.begin() == -20);
  CHECK(*nices.rbegin() == 19);
  // mild is the default
  for (const auto& plan : plans("", 5, 3)) {
    for (const auto& [tid, a] : plan.attrs) CHECK(a.policy == SchedPolicy::batch);
  }
  for (const auto& plan : plans("[explorePolicyParam.procPolicyParam]\nuseBatch = false\n", 20, 3)) {
    for (const auto& [tid, a] : plan.attrs) CHECK(a.policy == SchedPolicy::normal);
  }
}

TEST_CASE("random/extreme: `prioritized` distinct threads get RR 1..10, the others BATCH") {
  std::set<std::uint32_t> priorities;
  for (const auto& plan : plans("procPolicy = \"extreme\"\n", 300, 8)) {
    int rr = 0;
    for (const auto& [tid, a] : plan.attrs) {
      if (a.policy == SchedPolicy::rr) {
        ++rr;
        CHECK(a.priority >= 1);
        CHECK(a.priority <= 10);
        priorities.insert(a.priority);
      } else {
        CHECK(a.policy == SchedPolicy::batch);
        CHECK(a.nice == 0);
        CHECK(a.priority == 0);
      }
    }
    CHECK(rr == 3);
  }
  CHECK(*priorities.begin() == 1);
  CHECK(*priorities.rbegin() == 10);
  SUBCASE("fewer threads than prioritized: all RR") {
    for (const auto& plan : plans("procPolicy = \"extreme\"\n", 10, 2)) {
      for (const auto& [tid, a] : plan.attrs) CHECK(a.policy == SchedPolicy::rr);
    }
  }
  SUBCASE("prioritized = 0: all BATCH") {
    for (const auto& plan :
         plans("procPolicy = \"extreme\"\n[explorePolicyParam.procPolicyParam]\nprioritized = 0\n", 10, 4)) {
      for (const auto& [tid, a] : plan.attrs) CHECK(a.policy == SchedPolicy::batch);
    }
  }
}

TEST_CASE("random/dirichlet: SCHED_DEADLINE within the kernel's bounds, resets to NORMAL") {
  const auto period = std::chrono::nanoseconds(1ms);
  SUBCASE("no resets") {
    for (int threads : {1, 3, 2000}) {
      for (const auto& plan :
           plans("procPolicy = \"dirichlet\"\n[explorePolicyParam.procPolicyParam]\nresetProbability = 0\n", 20,
                 threads)) {
        std::chrono::nanoseconds total{0};
        for (const auto& [tid, a] : plan.attrs) {
          CHECK(a.policy == SchedPolicy::deadline);
          CHECK(a.flags == sdk::kSchedFlagResetOnFork);
          CHECK(a.period == period);
          CHECK(a.deadline == period);
          CHECK(a.runtime >= std::chrono::nanoseconds(1024));
          CHECK(a.runtime <= 900us);  // never a whole CPU: admission control would refuse it
          total += a.runtime;
        }
        // The ratios share 90% of ncpu periods (under the kernel's 95% DEADLINE
        // admission limit); rounding down and the 1024 ns floor aside.
        CHECK(total <= cpu_count() * 900us + threads * std::chrono::nanoseconds(1024));
        if (threads == 1) CHECK(total == 900us);
      }
    }
  }
  SUBCASE("resetProbability = 1: all NORMAL") {
    for (const auto& plan :
         plans("procPolicy = \"dirichlet\"\n[explorePolicyParam.procPolicyParam]\nresetProbability = 1\n", 20, 4)) {
      for (const auto& [tid, a] : plan.attrs) {
        CHECK(a.policy == SchedPolicy::normal);
        CHECK(a.runtime.count() == 0);
      }
    }
  }
  SUBCASE("default resetProbability 0.1: both kinds, mostly DEADLINE") {
    int normal = 0;
    int deadline = 0;
    for (const auto& plan : plans("procPolicy = \"dirichlet\"\n", 100, 10)) {
      for (const auto& [tid, a] : plan.attrs) (a.policy == SchedPolicy::normal ? normal : deadline)++;
    }
    // 1000 threads, p = 0.1: mean 100, sigma 9.5.
    CHECK(normal >= 50);
    CHECK(normal <= 150);
    CHECK(normal + deadline == 1000);
  }
}

TEST_CASE("random: a ProcSetEvent without threads gets a NopAction, a malformed one too (with a warning)") {
  for (const char* policy : {"mild", "extreme", "dirichlet"}) {
    PolicyUnderTest random("random", std::string("procPolicy = \"") + policy + "\"\n");
    REQUIRE(random.configured().is_ok());
    random.start();
    random.queue(sdk::make_proc_set_event("proc", {}));
    random.queue(sdk::make_event("proc", sdk::event_class::proc_set, false, R"({"procs":["12x"]})"));
    REQUIRE(random.sink().wait_for(2));
    for (const auto& e : random.sink().emitted()) CHECK(e.action.class_name == sdk::action_class::nop);
    auto warnings = random.context().recorded().lines(sdk::LogLevel::warn);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("non-numeric id \"12x\"") != std::string::npos);
  }
}

TEST_CASE("random: affinity none, shuffle, squeeze") {
  std::string header = "[explorePolicyParam.procPolicyParam]\naffinity = ";
  for (const auto& plan : plans(header + "\"none\"\n", 10, 4)) {
    for (const auto& [tid, a] : plan.attrs) CHECK(a.cpus.empty());
  }
  std::set<int> shuffled;
  for (const auto& plan : plans(header + "\"shuffle\"\n", 50, 4)) {
    for (const auto& [tid, a] : plan.attrs) {
      REQUIRE(a.cpus.size() == 1);
      CHECK(a.cpus[0] >= 0);
      CHECK(a.cpus[0] < cpu_count());
      shuffled.insert(a.cpus[0]);
    }
  }
  CHECK(static_cast<int>(shuffled.size()) == cpu_count());
  std::set<int> squeezed;
  for (const auto& plan : plans("procPolicy = \"extreme\"\n" + header + "\"squeeze\"\n", 50, 4)) {
    std::set<int> in_event;
    for (const auto& [tid, a] : plan.attrs) {
      REQUIRE(a.cpus.size() == 1);
      in_event.insert(a.cpus[0]);
    }
    CHECK(in_event.size() == 1);
    CHECK(*in_event.begin() < cpu_count());
    squeezed.insert(*in_event.begin());
  }
  CHECK(static_cast<int>(squeezed.size()) == cpu_count());
}

TEST_CASE("random: pauseProbability pauses processes for (0, maxPause]") {
  std::string header = "[explorePolicyParam.procPolicyParam]\n";
  SUBCASE("always") {
    for (const auto& plan : plans(header + "pauseProbability = 1\nmaxPause = \"5ms\"\n", 50, 3, 2)) {
      REQUIRE(plan.pauses.size() == 2);
      for (const auto& [pid, pause] : plan.pauses) {
        CHECK((pid == 500 || pid == 501));
        CHECK(pause.count() > 0);
        CHECK(pause <= 5ms);
      }
    }
  }
  SUBCASE("never by default") {
    for (const auto& plan : plans("", 20, 3, 2)) CHECK(plan.pauses.empty());
  }
  SUBCASE("sometimes, default maxPause 50ms") {
    std::size_t paused = 0;
    for (const auto& plan : plans(header + "pauseProbability = 0.5\n", 100, 1, 4)) {
      paused += plan.pauses.size();
      for (const auto& [pid, pause] : plan.pauses) CHECK(pause <= 50ms);
    }
    // 400 draws, p = 0.5: mean 200, sigma 10.
    CHECK(paused >= 150);
    CHECK(paused <= 250);
  }
  SUBCASE("an event without pids pauses nothing") {
    for (const auto& plan : plans(header + "pauseProbability = 1\n", 10, 3, 0)) CHECK(plan.pauses.empty());
  }
}

}  // namespace
}  // namespace nmz::test
