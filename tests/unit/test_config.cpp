// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>

#include <doctest/doctest.h>

#include "config/config.hpp"
#include "orchestrator/run_seed.hpp"

using namespace std::chrono_literals;
using nmz::core::parse_config;
using nmz::core::TomlConfigView;

TEST_CASE("defaults are Namazu's") {
  auto config = parse_config("", "c.toml").value();
  CHECK(config.explore_policy == "random");
  CHECK(config.rest_port == -1);
  CHECK(config.pb_port == -1);
  CHECK(config.storage_type == "naive");
  CHECK_FALSE(config.skip_init_orchestrator);
  CHECK(config.container.enable_proc_inspector);
  CHECK(config.container.enable_fs_inspector);
  CHECK_FALSE(config.container.enable_ethernet_inspector);
  CHECK(config.container.ethernet_nfq_number == 42);
  CHECK(config.container.proc_watch_interval == 1s);
  CHECK(config.rest_address == "127.0.0.1");
}

TEST_CASE("a policy may hold an event 30 s by default (actionTimeout), 0 for no limit, never a negative time") {
  CHECK(parse_config("", "c.toml")->action_timeout == 30s);
  CHECK(parse_config("actionTimeout = \"0s\"\n", "c.toml")->action_timeout == 0s);
  CHECK(parse_config("actionTimeout = \"-1s\"\n", "c.toml").status().message() ==
        "c.toml:1:17: key actionTimeout: expected a duration, 0 for no limit, got string \"-1s\"");
}

TEST_CASE("keys are case-insensitive and bools accept Namazu's strings") {
  auto config = parse_config(R"(
ExplorePolicy = "dumb"
RUN = "run.sh"
notcleanifvalidationfail = "true"
restport = 0
[explorePolicyParam]
Interval = "80ms"
)",
                             "c.toml")
                    .value();
  CHECK(config.explore_policy == "dumb");
  CHECK(config.run_script == "run.sh");
  CHECK(config.not_clean_if_validation_fail);
  CHECK(config.rest_port == 0);
  auto view = TomlConfigView::for_policy(config);
  CHECK(view->get_duration("interval").value() == 80ms);
  CHECK(view->get_duration("INTERVAL").value() == 80ms);
  CHECK_FALSE(view->get_duration("missing").value().has_value());
}

TEST_CASE("a partial [container] table keeps the other defaults (unlike viper#71)") {
  auto config = parse_config("[container]\nenableFSInspector = false\n", "c.toml").value();
  CHECK_FALSE(config.container.enable_fs_inspector);
  CHECK(config.container.enable_proc_inspector);
  CHECK(config.container.proc_watch_interval == 1s);
  CHECK(config.container.ethernet_nfq_number == 42);
}

TEST_CASE("invalid values name file, line, key and what was expected") {
  CHECK(parse_config("restPort = \"abc\"\n", "exp.toml").status().message() ==
        "exp.toml:1:12: key restPort: expected an integer, got string \"abc\"");
  CHECK(parse_config("\n\nrestPort = 70000\n", "exp.toml").status().message() ==
        "exp.toml:3:12: key restPort: expected -1 (disabled), 0 (any free port) or a port up to 65535, got integer "
        "70000");
  CHECK(parse_config("[container]\nprocWatchInterval = \"soon\"\n", "exp.toml").status().message() ==
        "exp.toml:2:21: key container.procWatchInterval: expected a duration such as \"80ms\", \"1.5s\" or integer "
        "nanoseconds, got string \"soon\"");
  CHECK(parse_config("skipInitOrchestrator = \"maybe\"\n", "exp.toml").status().message() ==
        "exp.toml:1:24: key skipInitOrchestrator: expected a boolean (true or false), got string \"maybe\"");
  CHECK(parse_config("storageType = \"mongodb\"\n", "exp.toml").status().message() ==
        "exp.toml:1:15: key storageType: expected \"naive\" (the only storage nmz has), got string \"mongodb\"");
  CHECK(parse_config("explorePolicyParam = 3\n", "exp.toml").status().message() ==
        "exp.toml:1:22: key explorePolicyParam: expected a table, got integer 3");
  CHECK(parse_config("run = \n", "exp.toml").status().message().rfind("exp.toml:1:7: TOML syntax error: ", 0) == 0);
}

TEST_CASE("the signature keys: a script, and the trace's part only switched off when a script decides") {
  auto config = parse_config("signature = \"sig.sh\"\nsignatureTrace = false\n", "c.toml").value();
  CHECK(config.signature_script == "sig.sh");
  CHECK_FALSE(config.signature_trace);
  CHECK(parse_config("", "c.toml").value().signature_trace);
  CHECK(parse_config("signatureTrace = false\n", "exp.toml").status().message() ==
        "exp.toml:1:18: key signatureTrace: expected true unless a `signature` script gives the signature, got boolean "
        "false");
}

TEST_CASE("recordCoverage: off unless set, and a boolean") {
  CHECK_FALSE(parse_config("", "c.toml").value().record_coverage);
  CHECK(parse_config("recordCoverage = true\n", "c.toml").value().record_coverage);
  CHECK(parse_config("recordCoverage = \"gcov\"\n", "c.toml").status().message().starts_with(
      "c.toml:1:18: key recordCoverage: expected a boolean"));
}

TEST_CASE("the policy view reports type and range errors with the full key") {
  auto config = parse_config("[explorePolicyParam]\nfaultActionProbability = 1.5\nminInterval = 3\n"
                             "[explorePolicyParam.procPolicyParam]\nuseBatch = 2.5\n",
                             "p.toml")
                    .value();
  auto view = TomlConfigView::for_policy(config);
  CHECK(view->get_double("faultActionProbability").value() == 1.5);
  CHECK(view->invalid("faultActionProbability", "a probability in [0, 1]").message() ==
        "p.toml:2:26: key explorePolicyParam.faultActionProbability: expected a probability in [0, 1], got float 1.5");
  CHECK(view->get_duration("minInterval").value() == 3ns);  // integers are nanoseconds, as in Namazu
  CHECK(view->get_bool("procPolicyParam.useBatch").status().message() ==
        "p.toml:5:12: key explorePolicyParam.procPolicyParam.useBatch: expected a boolean (true or false), got float "
        "2.5");
}

TEST_CASE("unknown keys are reported with their line and the closest known key, not fatal") {
  auto config =
      parse_config("explorPolicy = \"dumb\"\n[container]\nenableProcInspektor = true\nzzzzzzzz = 1\n", "c.toml").value();
  CHECK(config.unknown_keys ==
        std::vector<std::string>{"c.toml:1: unknown key \"explorPolicy\" ignored; did you mean explorePolicy?",
                                 "c.toml:3: unknown key \"container.enableProcInspektor\" ignored; did you mean "
                                 "container.enableProcInspector?",
                                 "c.toml:4: unknown key \"container.zzzzzzzz\" ignored"});
}

TEST_CASE("explorePolicyParam keys the policy does not declare are reported with the closest declared one") {
  auto config = parse_config("[explorePolicyParam]\nmaxInteval = \"1s\"\nseed = 7\nMININTERVAL = \"0s\"\n"
                             "[explorePolicyParam.procPolicyParam]\nuseBatch = true\nuseBtach = false\n"
                             "[explorePolicyParam.other]\nx = 1\n",
                             "p.toml")
                    .value();
  const std::vector<std::string> accepted{"minInterval", "maxInterval", "procPolicyParam.useBatch"};
  CHECK(nmz::core::unknown_policy_parameters(config, accepted) ==
        std::vector<std::string>{
            "p.toml:2: unknown key \"explorePolicyParam.maxInteval\" ignored; did you mean explorePolicyParam.maxInterval?",
            "p.toml:8: unknown key \"explorePolicyParam.other\" ignored",
            "p.toml:7: unknown key \"explorePolicyParam.procPolicyParam.useBtach\" ignored; did you mean "
            "explorePolicyParam.procPolicyParam.useBatch?"});
  CHECK(nmz::core::unknown_policy_parameters(parse_config("", "p.toml").value(), accepted).empty());
}

TEST_CASE("keys differing only in case are an error naming both") {
  auto config = parse_config("explorePolicy = \"dumb\"\nexplorepolicy = \"random\"\n", "c.toml");
  CHECK(config.status().message() ==
        "c.toml:2: keys explorePolicy (line 1) and explorepolicy differ only in case and name the same setting: keep one");
  auto nested = parse_config("[explorePolicyParam]\nminInterval = 1\nMININTERVAL = 2\n", "c.toml");
  CHECK(nested.status().message().find("explorePolicyParam.minInterval (line 2) and explorePolicyParam.MININTERVAL") !=
        std::string::npos);
}

TEST_CASE("absurd nesting is refused before parsing, without a crash") {
  std::string header = "[" + std::string(31000, 'a') + "]\n";
  for (std::size_t i = 2; i < header.size() - 2; i += 2) header[i] = '.';
  CHECK(parse_config(header, "deep.toml").status().message().find("deep.toml: nested ") == 0);
  std::string dotted(40000, 'a');
  for (std::size_t i = 1; i < dotted.size(); i += 2) dotted[i] = '.';
  CHECK(!parse_config(dotted + " = 1\n", "deep.toml").has_value());
  CHECK(!parse_config("x = " + std::string(5000, '[') + std::string(5000, ']') + "\n", "deep.toml").has_value());
  // Dots and brackets inside strings and comments are not nesting.
  CHECK(parse_config("run = \"" + std::string(5000, '.') + "[\" # " + std::string(500, '{') + "\n", "ok.toml").has_value());
}

TEST_CASE("integers beyond 2^53 for a number and floats for a duration are errors") {
  auto config = parse_config("[explorePolicyParam]\np = 9007199254740993\nq = 9007199254740992\nd = 1.5\n", "n.toml");
  auto view = nmz::core::TomlConfigView::for_policy(config.value());
  CHECK(view->get_double("p").status().message() ==
        "n.toml:2:5: key explorePolicyParam.p: expected a number from -2^53 to 2^53, got integer 9007199254740993");
  CHECK(view->get_double("q").value() == 9007199254740992.0);
  CHECK(view->get_duration("d").status().message().find("expected a duration") != std::string::npos);
}

TEST_CASE("a missing file is a clear error") {
  CHECK(nmz::core::load_config("/nonexistent/c.toml").status().message() ==
        "/nonexistent/c.toml: cannot open config file");
}

TEST_CASE("seeds: config, Namazu's seed key, environment, or chosen") {
  unsetenv("NMZ_SEED");
  unsetenv("NMZ_REPLAY_SEED");
  CHECK(parse_config("seed = 42\n", "c.toml").value().seed == "42");
  CHECK(parse_config("[explorePolicyParam]\nseed = \"abc\"\n", "c.toml").value().seed == "abc");
  auto numeric = nmz::core::resolve_seed("42");
  CHECK(numeric.value == 42);
  CHECK_FALSE(numeric.chosen);
  CHECK(nmz::core::resolve_seed("abc").value == nmz::core::resolve_seed("abc").value);
  auto chosen = nmz::core::resolve_seed("");
  CHECK(chosen.chosen);
  CHECK(chosen.text == std::to_string(chosen.value));
  setenv("NMZ_REPLAY_SEED", "7", 1);
  CHECK(nmz::core::resolve_seed("42").value == 7);
  unsetenv("NMZ_REPLAY_SEED");
}

TEST_CASE("[container] enableJavaInspector needs rule files, resolved against the config's directory") {
  auto config = parse_config("[container]\nenableJavaInspector = true\njavaRules = [\"zk.btm\", \"/abs/x.btm\"]\n",
                             "/etc/exp/c.toml")
                    .value();
  CHECK(config.container.enable_java_inspector);
  CHECK(config.container.java_rules == std::vector<std::string>{"/etc/exp/zk.btm", "/abs/x.btm"});
  CHECK(config.container.java_pb_port == 10000);
  CHECK(parse_config("[container]\nenableJavaInspector = true\n", "c.toml").status().message() ==
        "c.toml: key container.javaRules: expected at least one byteman rule file when enableJavaInspector is true");
  CHECK(parse_config("[container]\njavaPBPort = 0\n", "c.toml").status().message() ==
        "c.toml:2:14: key container.javaPBPort: expected a port from 1 to 65535, got integer 0");
  CHECK_FALSE(parse_config("[container]\njavaRules = \"one.btm\"\n", "c.toml"));
}

TEST_CASE("the REST entity keys: defaults, values, and out-of-range values refused") {
  auto defaults = parse_config("", "c.toml").value();
  CHECK(defaults.rest_max_entities == 4096);
  CHECK(defaults.rest_entity_expiry == 60s);
  auto config = parse_config("restMaxEntities = 10\nrestEntityExpiry = \"1.5s\"\n", "c.toml").value();
  CHECK(config.rest_max_entities == 10);
  CHECK(config.rest_entity_expiry == 1500ms);
  CHECK(parse_config("restMaxEntities = 0\n", "exp.toml").status().message().find("key restMaxEntities: expected "
                                                                                   "an integer from 1 to 1000000") !=
        std::string::npos);
  CHECK(parse_config("restEntityExpiry = \"0s\"\n", "exp.toml").status().message().find(
            "key restEntityExpiry: expected a positive duration") != std::string::npos);
}
