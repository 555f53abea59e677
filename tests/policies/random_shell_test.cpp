// SPDX-License-Identifier: Apache-2.0
#include <thread>

#include <doctest/doctest.h>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("random: shell actions every shellActionInterval until stop") {
  PolicyUnderTest random("random", "shellActionInterval = \"10ms\"\nshellActionCommand = \"echo hello\"\n");
  REQUIRE(random.configured().is_ok());
  auto started = Clock::now();
  random.start();
  REQUIRE(random.sink().wait_for(3));
  random.stop();
  auto emitted = random.sink().emitted();
  REQUIRE(emitted.size() >= 3);
  for (std::size_t i = 0; i < emitted.size(); ++i) {
    const auto& action = emitted[i].action;
    CHECK(action.class_name == sdk::action_class::shell);
    CHECK(action.entity == sdk::kShellActionEntity);
    CHECK(action.event_uuid.empty());
    CHECK(sdk::option_string(action.option, "command") == "echo hello");
    CHECK(emitted[i].at - started >= static_cast<int>(i + 1) * 10ms);
  }
  // stop() returned: nothing follows.
  std::this_thread::sleep_for(40ms);
  CHECK(random.sink().size() == emitted.size());
}

TEST_CASE("random: a shell command with a zero interval only warns") {
  PolicyUnderTest random("random", "shellActionCommand = \"echo hello\"\n");
  REQUIRE(random.configured().is_ok());
  auto warnings = random.context().recorded().lines(sdk::LogLevel::warn);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "shellActionCommand is set but shellActionInterval is 0: the command never runs");
  random.start();
  random.queue(sdk::make_nop_event("n"));
  REQUIRE(random.sink().wait_for(1));
  random.stop();
  CHECK(random.sink().size() == 1);
}

}  // namespace
}  // namespace nmz::test
