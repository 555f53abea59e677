// SPDX-License-Identifier: Apache-2.0
// The explore policy through its real .so: parameters, a forced plan
// applied to events, and the records a run under `nmz run` leaves.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "policy_harness.hpp"

namespace nmz::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Sets an environment variable for one test case.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "nmz-explore-policy-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

std::string error_of(const std::string& params) {
  PolicyUnderTest policy("explore", params);
  CHECK(policy.configured().code() == sdk::StatusCode::invalid_argument);
  return policy.configured().message();
}

}  // namespace

TEST_CASE("explore: configures with no parameter; bad parameters name file, line, key and expectation") {
  PolicyUnderTest plain("explore", "");
  CHECK_MESSAGE(plain.configured().is_ok(), plain.configured().message());
  CHECK(error_of("faults = [\"melt\"]\n") ==
        "test.toml:3:10: key explorePolicyParam.faults: expected a list of \"slow-node\", \"delay-flow\", \"partition\", "
        "\"pause-process\", \"fail-fs\" (got \"melt\"), got an array");
  CHECK(error_of("maxFaults = 4\n") == "test.toml:3:13: key explorePolicyParam.maxFaults: expected an integer from 1 to 3, got integer 4");
  CHECK(error_of("delayMin = \"3s\"\n") ==
        "test.toml:3:12: key explorePolicyParam.delayMin: expected a duration not above delayMax (default 2000ms), got "
        "string \"3s\"");
  CHECK(error_of("delayMin = \"3s\"\ndelayMax = \"1s\"\n") ==
        "test.toml:4:12: key explorePolicyParam.delayMax: expected a duration not below delayMin, got string \"1s\"");
  CHECK(error_of("faultErrno = [\"ENOPE\"]\n").find("errno names such as \"EIO\" (got \"ENOPE\")") != std::string::npos);
}

TEST_CASE("explore: a forced plan slows one node's packets, partitions another, and stop releases what is held") {
  TempDir dir;
  const fs::path plan = dir.path / "plan.json";
  std::ofstream(plan) << R"({"faults": [
    {"kind": "slow-node", "role": 0, "delay_ns": 300000000, "start_ns": 0, "end_ns": 60000000000},
    {"kind": "partition", "role": 2, "start_ns": 0, "end_ns": 60000000000}]})";
  ScopedEnv forced("NMZ_EXPLORE_PLAN", plan.string());
  PolicyUnderTest policy("explore", "");
  REQUIRE_MESSAGE(policy.configured().is_ok(), policy.configured().message());
  policy.start();
  policy.queue(numbered(sdk::make_packet_event("eth", "a", "b", "x", ""), 0));  // a = node#0: slowed
  policy.queue(numbered(sdk::make_packet_event("eth", "b", "a", "x", ""), 1));  // b = node#1: untouched
  policy.queue(numbered(sdk::make_packet_event("eth", "b", "c", "x", ""), 2));  // c = node#2: dropped
  REQUIRE(policy.sink().wait_for(3));
  std::map<std::string, Emitted> by_event;
  for (const auto& e : policy.sink().emitted()) by_event.emplace(e.action.event_uuid, e);
  CHECK(by_event.at("e-0").action.class_name == sdk::action_class::event_acceptance);
  CHECK(by_event.at("e-0").at - policy.queued_at("e-0") >= 300ms);
  CHECK(by_event.at("e-1").action.class_name == sdk::action_class::event_acceptance);
  CHECK(by_event.at("e-1").at - policy.queued_at("e-1") < 300ms);
  CHECK(by_event.at("e-2").action.class_name == sdk::action_class::packet_fault);
  // A slowed packet still held when the run stops leaves at once.
  policy.queue(numbered(sdk::make_packet_event("eth", "a", "c", "x", ""), 3));
  policy.stop();
  REQUIRE(policy.sink().size() == 4);
  CHECK(policy.sink().emitted().back().action.class_name == sdk::action_class::event_acceptance);
}

TEST_CASE("explore: under nmz run it learns from the storage and records its plan") {
  TempDir storage;
  const fs::path run = storage.path / "00000001";
  fs::create_directories(run);
  fs::create_directories(storage.path / "00000000");
  std::ofstream(storage.path / "00000000" / "result.json") << R"({"successful": false, "status": "failed", "signature": "s"})";
  std::ofstream(storage.path / "00000000" / "plan.json")
      << R"({"forced": false, "arms": ["partition node#1"], "observed": {"nodes": 4}})";
  ScopedEnv working("NMZ_WORKING_DIR", run.string());
  PolicyUnderTest policy("explore", "", {.seed = 7, .seed_text = "7", .debug = false});
  REQUIRE_MESSAGE(policy.configured().is_ok(), policy.configured().message());
  policy.start();
  policy.queue(numbered(sdk::make_packet_event("eth", "entity-10.0.0.1:4000", "entity-10.0.0.2:80", "x", ""), 0));
  REQUIRE(policy.sink().wait_for(1));
  policy.stop();
  auto state = read_json(storage.path / "explore-state.json");
  CHECK(state["learned_runs"] == nlohmann::json::array({"00000000"}));
  CHECK(state["arms"]["partition node#1"]["reward"] == 1.0);
  CHECK(state["catalogue"]["nodes"] == 4);
  CHECK(read_json(run / "explore-state-at-start.json") == state);
  auto record = read_json(run / "plan.json");
  CHECK(record["policy"] == "explore");
  CHECK(record["forced"] == false);
  CHECK(record["seed"] == "7");
  CHECK(!record["faults"].empty());
  CHECK(record["arms"].size() == record["faults"].size());
  CHECK(record["bound"]["node#0"] == "10.0.0.1");
  CHECK(record["observed"]["nodes"] == 2);
  CHECK(record["words"].get<std::string>().find("node#") != std::string::npos);
  // The same seed and the same state draw the same plan.
  fs::remove(storage.path / "00000001" / "plan.json");
  PolicyUnderTest again("explore", "", {.seed = 7, .seed_text = "7", .debug = false});
  REQUIRE(again.configured().is_ok());
  again.start();
  again.stop();
  CHECK(read_json(run / "plan.json")["faults"] == record["faults"]);
}

}  // namespace nmz::test
