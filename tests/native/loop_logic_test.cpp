// SPDX-License-Identifier: Apache-2.0
// The pure parts of the native inspector's loop mode: the replay line, the
// Wilson interval, the learnt k and the per-run seeds.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "adaptive_steps.hpp"
#include "failure_rate.hpp"
#include "replay_command.hpp"
#include "run_loop.hpp"

using nmz::native::AdaptiveSteps;
using nmz::native::ReplayEdit;

namespace {

ReplayEdit loop_edit() {
  ReplayEdit edit;
  edit.drop_with_value = {"n", "jobs", "seed", "steps"};
  edit.drop_boolean = {"until-failure"};
  edit.keep_boolean = {"tsan"};
  edit.add = {"-seed", "9", "-steps", "12"};
  return edit;
}

}  // namespace

TEST_CASE("the replay line drops the loop's flags and the replaced values, in every spelling") {
  std::vector<std::string> argv{"/bin/nmz", "inspectors", "native", "-autopilot", "c.toml", "-n", "100",
                                "--until-failure", "-jobs=2", "-tsan", "--seed", "5", "-policy", "pct",
                                "--", "./prog", "-n", "3"};
  std::vector<std::string> expected{"/bin/nmz", "inspectors", "native", "-autopilot", "c.toml", "-tsan",
                                    "-policy", "pct", "-seed", "9", "-steps", "12", "--", "./prog", "-n", "3"};
  CHECK(nmz::native::replay_arguments(argv, 3, loop_edit()) == expected);
}

TEST_CASE("without --, the command starts at the first argument that is not a flag or a flag's value") {
  std::vector<std::string> argv{"nmz", "inspectors", "native", "-n", "4", "-depth", "2", "-until-failure=true",
                                "./prog", "-seed", "1"};
  std::vector<std::string> expected{"nmz", "inspectors", "native", "-depth", "2", "-seed", "9", "-steps", "12",
                                    "./prog", "-seed", "1"};
  CHECK(nmz::native::replay_arguments(argv, 3, loop_edit()) == expected);
}

TEST_CASE("shell quoting keeps plain words and quotes the rest") {
  CHECK(nmz::native::shell_quote("./prog") == "./prog");
  CHECK(nmz::native::shell_quote("a b") == "'a b'");
  CHECK(nmz::native::shell_quote("it's") == "'it'\\''s'");
  CHECK(nmz::native::shell_quote("") == "''");
}

TEST_CASE("Wilson interval: known values, and sane at 0 and at every failure") {
  auto ci = nmz::plugins::wilson_interval(3, 100);
  CHECK(ci.low == doctest::Approx(0.0103).epsilon(0.01));
  CHECK(ci.high == doctest::Approx(0.0845).epsilon(0.01));
  auto none = nmz::plugins::wilson_interval(0, 20);
  CHECK(none.low == 0.0);
  CHECK(none.high == doctest::Approx(0.161).epsilon(0.01));
  auto all = nmz::plugins::wilson_interval(20, 20);
  CHECK(all.high == 1.0);
  CHECK(nmz::plugins::describe_failure_rate(3, 100) == "3/100 failed (3.0%, 95% CI 1.0%..8.5%)");
}

TEST_CASE("k: the first count replaces a guess, then the largest count is kept") {
  AdaptiveSteps steps(50, false);
  CHECK(steps.current() == 50);
  steps.observe(0);  // a run with no choice says nothing
  CHECK(steps.current() == 50);
  steps.observe(10);
  CHECK(steps.current() == 10);
  steps.observe(8);
  CHECK(steps.current() == 10);
  steps.observe(14);
  CHECK(steps.current() == 14);
  AdaptiveSteps stored(30, true);  // a steps file's count is a measurement
  stored.observe(10);
  CHECK(stored.current() == 30);
  CHECK(nmz::native::steps_far_off(1200, 50));
  CHECK(nmz::native::steps_far_off(5, 50));
  CHECK_FALSE(nmz::native::steps_far_off(12, 40));
}

TEST_CASE("run seeds: deterministic per base seed and index, distinct across runs") {
  std::set<std::uint64_t> seen;
  for (std::uint64_t i = 0; i < 1000; ++i) seen.insert(nmz::native::run_seed(7, i));
  CHECK(seen.size() == 1000);
  CHECK(nmz::native::run_seed(7, 3) == nmz::native::run_seed(7, 3));
  CHECK(nmz::native::run_seed(7, 3) != nmz::native::run_seed(8, 3));
}
