// SPDX-License-Identifier: Apache-2.0
#include <set>

#include <doctest/doctest.h>

#include <nmz/sdk/proc_sched.hpp>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

struct Run {
  std::vector<Decision> decided;
  std::map<std::string, std::pair<std::string, std::string>> actions;  // event uuid -> class, option
};

// A mixed event sequence through a `random` configured to draw everything
// it can draw: delays, faults, errnos, scheduling, affinity, pauses.
Run run_random(const std::string& proc_policy, std::uint64_t seed) {
  PolicyUnderTest random("random",
                         "minInterval = \"0ms\"\nmaxInterval = \"3ms\"\nfaultActionProbability = 0.5\n"
                         "faultErrno = [\"EIO\", \"ENOSPC\", \"EDQUOT\"]\nprocPolicy = \"" +
                             proc_policy +
                             "\"\n[explorePolicyParam.procPolicyParam]\nresetProbability = 0.3\naffinity = \"shuffle\"\n"
                             "pauseProbability = 0.5\n",
                         {.seed = seed, .seed_text = std::to_string(seed), .debug = true});
  REQUIRE(random.configured().is_ok());
  random.start();
  constexpr int kEvents = 300;
  for (int i = 0; i < kEvents; ++i) {
    switch (i % 4) {
      case 0:
        random.queue(numbered(sdk::make_packet_event("n1", "n1", "n2", "x", ""), i));
        break;
      case 1:
        random.queue(numbered(sdk::make_filesystem_event("fs", "pre-write", "/f", ""), i));
        break;
      case 2:
        random.queue(numbered(sdk::make_proc_set_event("proc", {1, 2, 3, 4, 5}, {1, 4}), i));
        break;
      default:
        random.queue(numbered(sdk::make_nop_event("n2"), i));
        break;
    }
  }
  REQUIRE(random.sink().wait_for(kEvents));
  random.stop();
  Run run;
  run.decided = decisions(random.context());
  for (const auto& e : random.sink().emitted()) {
    run.actions[e.action.event_uuid] = {e.action.class_name, e.action.option};
  }
  REQUIRE(run.decided.size() == kEvents);
  REQUIRE(run.actions.size() == kEvents);
  return run;
}

bool same_decisions(const Run& a, const Run& b) {
  if (a.decided.size() != b.decided.size()) return false;
  for (std::size_t i = 0; i < a.decided.size(); ++i) {
    const auto& x = a.decided[i];
    const auto& y = b.decided[i];
    if (x.event_uuid != y.event_uuid || x.action_class != y.action_class || x.action_option != y.action_option ||
        x.delay != y.delay) {
      return false;
    }
  }
  return a.actions == b.actions;
}

TEST_CASE("random: the same seed and event sequence give the same decisions; another seed does not") {
  for (const char* proc_policy : {"mild", "extreme", "dirichlet"}) {
    CAPTURE(proc_policy);
    Run first = run_random(proc_policy, 1234);
    Run again = run_random(proc_policy, 1234);
    Run other = run_random(proc_policy, 1235);
    CHECK(same_decisions(first, again));
    CHECK_FALSE(same_decisions(first, other));
    // The sequence really exercised every kind of draw.
    std::set<std::string> classes;
    for (const auto& [uuid, action] : first.actions) classes.insert(action.first);
    CHECK(classes.count(std::string(sdk::action_class::packet_fault)) == 1);
    CHECK(classes.count(std::string(sdk::action_class::filesystem_fault)) == 1);
    CHECK(classes.count(std::string(sdk::action_class::event_acceptance)) == 1);
    CHECK(classes.count(std::string(sdk::action_class::proc_set_sched)) == 1);
  }
}

}  // namespace
}  // namespace nmz::test
