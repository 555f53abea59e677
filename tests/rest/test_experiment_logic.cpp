// SPDX-License-Identifier: Apache-2.0
// The pure logic under nmz summary and nmz run: the Wilson interval,
// quantiles, result.json round trips and damage, trace signatures, and
// orchestrator URL parsing.
#include <doctest/doctest.h>

#include <nmz/sdk/signal.hpp>

#include "experiment/run_result.hpp"
#include "experiment/statistics.hpp"
#include "experiment/trace_signature.hpp"
#include "rest/orchestrator_url.hpp"

using namespace nmz::core;

TEST_CASE("Wilson interval matches published values") {
  // 10 of 50 (Newcombe 1998 style check, computed independently): [0.1124, 0.3304].
  auto i = experiment::wilson_interval(10, 50);
  CHECK(i.low == doctest::Approx(0.1124).epsilon(0.001));
  CHECK(i.high == doctest::Approx(0.3304).epsilon(0.001));
  auto none = experiment::wilson_interval(0, 20);
  CHECK(none.low == 0.0);
  CHECK(none.high == doctest::Approx(0.1611).epsilon(0.001));
  auto all = experiment::wilson_interval(20, 20);
  CHECK(all.high == 1.0);
  CHECK(all.low == doctest::Approx(0.8389).epsilon(0.001));
  auto empty = experiment::wilson_interval(0, 0);
  CHECK(empty.low == 0.0);
  CHECK(empty.high == 1.0);
}

TEST_CASE("quantiles interpolate") {
  CHECK(experiment::quantile({}, 0.5) == 0.0);
  CHECK(experiment::quantile({3, 1, 2}, 0.5) == 2.0);
  CHECK(experiment::quantile({1, 2, 3, 4}, 0.5) == doctest::Approx(2.5));
  CHECK(experiment::quantile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}, 0.95) ==
        doctest::Approx(20.0));
}

TEST_CASE("result.json round trip and damage") {
  experiment::RunResult r;
  r.status = experiment::RunStatus::failed;
  r.reason = "validate exited with 1";
  r.required_time = std::chrono::milliseconds(1500);
  r.policy = "random";
  r.seed = "42";
  r.nmz_version = "0.3.0";
  auto text = experiment::to_json(r);
  CHECK(text.find("\"successful\": false") != std::string::npos);
  auto back = experiment::run_result_from_json(text);
  REQUIRE(back);
  CHECK(back->status == experiment::RunStatus::failed);
  CHECK(back->required_time == std::chrono::milliseconds(1500));
  CHECK(back->seed == "42");
  // Namazu's own result.json (no status) reads as passed or failed.
  auto namazu = experiment::run_result_from_json(R"({"successful": true, "required_time": 12, "metadata": {}})");
  REQUIRE(namazu);
  CHECK(namazu->status == experiment::RunStatus::passed);
  auto truncated = experiment::run_result_from_json(text.substr(0, text.size() / 2));
  REQUIRE_FALSE(truncated);
  CHECK(truncated.status().message().find("truncated") != std::string::npos);
  CHECK_FALSE(experiment::run_result_from_json(R"({"successful": "yes"})"));
  CHECK_FALSE(experiment::run_result_from_json(R"({"successful": true, "status": "odd"})"));
}

namespace {
TraceEntry entry(const std::string& entity, const std::string& hint) {
  auto event = nmz::sdk::make_event(entity, nmz::sdk::event_class::packet, true, "{}", hint);
  event.uuid = nmz::sdk::new_uuid();
  return {nmz::sdk::default_action(event), event, {}, {}};
}
}  // namespace

TEST_CASE("trace signatures ignore uuids and, with reduction, cross-entity order") {
  Trace a{entry("x", "1"), entry("y", "1"), entry("x", "2")};
  Trace b{entry("y", "1"), entry("x", "1"), entry("x", "2")};
  Trace c{entry("x", "2"), entry("y", "1"), entry("x", "1")};
  CHECK(experiment::trace_signature(a, true) == experiment::trace_signature(b, true));
  CHECK(experiment::trace_signature(a, true) != experiment::trace_signature(c, true));
  CHECK(experiment::trace_signature(a, false) != experiment::trace_signature(b, false));
  Trace a2{entry("x", "1"), entry("y", "1"), entry("x", "2")};
  CHECK(experiment::trace_signature(a, false) == experiment::trace_signature(a2, false));
}

TEST_CASE("orchestrator urls") {
  auto url = rest::parse_orchestrator_url("http://127.0.0.1:10080/api/v3");
  REQUIRE(url);
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == 10080);
  CHECK(url->base_path == "/api/v3");
  CHECK(url->origin() == "http://127.0.0.1:10080");
  auto bare = rest::parse_orchestrator_url("http://localhost:8080/");
  REQUIRE(bare);
  CHECK(bare->base_path == "/api/v3");
  CHECK_FALSE(rest::parse_orchestrator_url("https://x:1/api/v3"));
  auto bad_port = rest::parse_orchestrator_url("http://x:99999/api/v3");
  REQUIRE_FALSE(bad_port);
  CHECK(bad_port.status().message().find("99999") != std::string::npos);
  CHECK_FALSE(rest::parse_orchestrator_url("http://:80/api/v3"));
}
