// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

// The error configure() returns for `params`, exactly.
std::string error_of(const std::string& policy, const std::string& params) {
  PolicyUnderTest under_test(policy, params);
  CHECK(under_test.configured().code() == sdk::StatusCode::invalid_argument);
  return under_test.configured().message();
}

TEST_CASE("every policy configures with no parameters at all") {
  for (const char* policy : {"dumb", "random", "replayable"}) {
    PolicyUnderTest under_test(policy, "");
    CHECK_MESSAGE(under_test.configured().is_ok(), policy, ": ", under_test.configured().message());
  }
}

TEST_CASE("random: bad parameters are errors naming file, line, key and expectation") {
  CHECK(error_of("random", "minInterval = \"fast\"\n") ==
        "test.toml:3:15: key explorePolicyParam.minInterval: expected a duration such as \"80ms\", \"1.5s\" or "
        "integer nanoseconds, got string \"fast\"");
  CHECK(error_of("random", "minInterval = \"-1s\"\n") ==
        "test.toml:3:15: key explorePolicyParam.minInterval: expected a duration of 0 or more, got string \"-1s\"");
  CHECK(error_of("random", "minInterval = \"20ms\"\nmaxInterval = \"10ms\"\n") ==
        "test.toml:4:15: key explorePolicyParam.maxInterval: expected a duration no shorter than minInterval "
        "(20ms), got string \"10ms\"");
  CHECK(error_of("random", "prioritizedEntities = \"n1\"\n") ==
        "test.toml:3:23: key explorePolicyParam.prioritizedEntities: expected a list of strings, got string \"n1\"");
  CHECK(error_of("random", "faultActionProbability = 1.5\n") ==
        "test.toml:3:26: key explorePolicyParam.faultActionProbability: expected a probability from 0 to 1, got "
        "float 1.5");
  CHECK(error_of("random", "faultActionProbability = \"often\"\n") ==
        "test.toml:3:26: key explorePolicyParam.faultActionProbability: expected a number, got string \"often\"");
  CHECK(error_of("random", "faultErrno = \"ENOPE\"\n") ==
        "test.toml:3:14: key explorePolicyParam.faultErrno: expected errno names such as \"ENOSPC\" (\"ENOPE\" is "
        "not one), got string \"ENOPE\"");
  CHECK(error_of("random", "faultErrno = [\"EIO\", \"ENOPE\"]\n") ==
        "test.toml:3:14: key explorePolicyParam.faultErrno: expected errno names such as \"ENOSPC\" (\"ENOPE\" is "
        "not one), got an array");
  CHECK(error_of("random", "faultErrno = []\n") ==
        "test.toml:3:14: key explorePolicyParam.faultErrno: expected an errno name such as \"ENOSPC\", or a "
        "non-empty list of them, got an array");
  CHECK(error_of("random", "faultErrno = 28\n") ==
        "test.toml:3:14: key explorePolicyParam.faultErrno: expected an errno name such as \"ENOSPC\", or a list "
        "of them, got integer 28");
  CHECK(error_of("random", "shellActionInterval = \"-5s\"\nshellActionCommand = \"true\"\n") ==
        "test.toml:3:23: key explorePolicyParam.shellActionInterval: expected a duration of 0 or more, got string "
        "\"-5s\"");
  CHECK(error_of("random", "shellActionInterval = \"5s\"\n") ==
        "test.toml: key explorePolicyParam.shellActionCommand: expected a command to run every "
        "shellActionInterval (5s)");
  CHECK(error_of("random", "procPolicy = \"wild\"\n") ==
        "test.toml:3:14: key explorePolicyParam.procPolicy: expected one of \"mild\", \"extreme\", \"dirichlet\", "
        "got string \"wild\"");
}

TEST_CASE("random: bad procPolicyParam values are errors too") {
  const std::string table = "[explorePolicyParam.procPolicyParam]\n";
  CHECK(error_of("random", table + "useBatch = \"maybe\"\n") ==
        "test.toml:4:12: key explorePolicyParam.procPolicyParam.useBatch: expected a boolean (true or false), got "
        "string \"maybe\"");
  CHECK(error_of("random", table + "prioritized = -1\n") ==
        "test.toml:4:15: key explorePolicyParam.procPolicyParam.prioritized: expected a number of threads, 0 or "
        "more, got integer -1");
  CHECK(error_of("random", table + "resetProbability = 2\n") ==
        "test.toml:4:20: key explorePolicyParam.procPolicyParam.resetProbability: expected a probability from 0 "
        "to 1, got integer 2");
  CHECK(error_of("random", table + "affinity = \"spread\"\n") ==
        "test.toml:4:12: key explorePolicyParam.procPolicyParam.affinity: expected one of \"none\", \"shuffle\", "
        "\"squeeze\", got string \"spread\"");
  CHECK(error_of("random", table + "pauseProbability = -0.5\n") ==
        "test.toml:4:20: key explorePolicyParam.procPolicyParam.pauseProbability: expected a probability from 0 "
        "to 1, got float -0.5");
  CHECK(error_of("random", table + "maxPause = \"0s\"\n") ==
        "test.toml:4:12: key explorePolicyParam.procPolicyParam.maxPause: expected a positive duration, got "
        "string \"0s\"");
}

TEST_CASE("replayable and dumb: bad durations are errors") {
  CHECK(error_of("replayable", "maxInterval = \"-1ms\"\n") ==
        "test.toml:3:15: key explorePolicyParam.maxInterval: expected a duration of 0 or more, got string \"-1ms\"");
  CHECK(error_of("replayable", "maxInterval = true\n") ==
        "test.toml:3:15: key explorePolicyParam.maxInterval: expected a duration such as \"80ms\", \"1.5s\" or "
        "integer nanoseconds, got boolean true");
  CHECK(error_of("dumb", "interval = \"soon\"\n") ==
        "test.toml:3:12: key explorePolicyParam.interval: expected a duration such as \"80ms\", \"1.5s\" or "
        "integer nanoseconds, got string \"soon\"");
}

}  // namespace
}  // namespace nmz::test
