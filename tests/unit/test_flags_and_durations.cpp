// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <nmz/sdk/duration.hpp>
#include <nmz/sdk/flags.hpp>
#include <nmz/sdk/hash.hpp>

using namespace std::chrono_literals;
using namespace nmz::sdk;

TEST_CASE("Go durations") {
  CHECK(parse_duration("80ms").value() == 80ms);
  CHECK(parse_duration("1.5s").value() == 1500ms);
  CHECK(parse_duration("1h30m").value() == 90min);
  CHECK(parse_duration("250us").value() == 250us);
  CHECK(parse_duration("250\xC2\xB5s").value() == 250us);
  CHECK(parse_duration("-2ns").value() == -2ns);
  CHECK(parse_duration("0").value() == 0ns);
  CHECK(parse_duration("80").status().message() ==
        "invalid duration \"80\": missing unit (expected Go syntax such as \"80ms\", \"1.5s\" or \"1h30m\")");
  CHECK_FALSE(parse_duration("").has_value());
  CHECK_FALSE(parse_duration("5 ms").has_value());
  CHECK_FALSE(parse_duration("ms").has_value());
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(80ms) == "80ms");
  CHECK(format_duration(0ns) == "0s");
}

TEST_CASE("Go-style and GNU-style flags") {
  std::int64_t pid = -1;
  std::string cmd;
  bool verbose = false;
  std::chrono::nanoseconds interval = 1s;
  std::vector<std::string> volumes;
  FlagSet flags("nmz inspectors proc");
  flags.add_int("pid", &pid, "root pid");
  flags.add_string("cmd", &cmd, "command");
  flags.add_bool("verbose", &verbose, "talk");
  flags.add_duration("watch-interval", &interval, "how often");
  flags.add_string_list("v", &volumes, "volume");

  REQUIRE(flags.parse({"-pid", "12", "--watch-interval=5ms", "-verbose", "-v", "a:b", "--v", "c:d", "--", "./t", "-x"}));
  CHECK(pid == 12);
  CHECK(interval == 5ms);
  CHECK(verbose);
  CHECK(volumes == std::vector<std::string>{"a:b", "c:d"});
  CHECK(flags.saw_double_dash());
  CHECK(flags.positionals() == std::vector<std::string>{"./t", "-x"});
  CHECK(flags.was_set("pid"));
  CHECK_FALSE(flags.was_set("cmd"));

  REQUIRE(flags.parse({"--pid=3", "-verbose=false", "prog", "-pid", "9"}));
  CHECK(pid == 3);
  CHECK_FALSE(verbose);
  CHECK(flags.positionals() == std::vector<std::string>{"prog", "-pid", "9"});  // Go stops at the first non-flag

  CHECK(flags.parse({"-pid", "x"}).message() == "nmz inspectors proc: flag -pid: expected an integer, got \"x\"");
  CHECK(flags.parse({"-bogus"}).message() == "nmz inspectors proc: unknown flag -bogus");
  CHECK(flags.parse({"-cmd"}).message() == "nmz inspectors proc: flag -cmd: needs a value");
  CHECK(flags.parse({"-watch-interval", "3"}).message() ==
        "nmz inspectors proc: flag -watch-interval: invalid duration \"3\": missing unit (expected Go syntax such as "
        "\"80ms\", \"1.5s\" or \"1h30m\")");
  CHECK(flags.usage().find("-pid value") != std::string::npos);
  // -h, -help, --help: the usage, as the error nmz prints for an inspector's -h.
  for (const char* help : {"-h", "-help", "--help"}) {
    CHECK(flags.parse({"-pid", "3", help}).message() == "usage: nmz inspectors proc [flags]\n" + flags.usage());
  }
}

TEST_CASE("list flags append to their defaults, and usage shows the defaults") {
  FlagSet flags("nmz inspectors x");
  std::vector<std::string> nodes;
  std::vector<std::string> ops{"write", "fsync"};
  flags.add_string_list("node", &nodes, "a node");
  flags.add_string_list("ops", &ops, "operations");
  std::string usage = flags.usage();
  CHECK(usage.find("a node\n") != std::string::npos);  // an empty list shows no default
  CHECK(usage.find("operations (default \"write\" \"fsync\")") != std::string::npos);
  REQUIRE(flags.parse({"-node", "a=1", "-node", "b=2", "-ops", "rename"}));
  CHECK(nodes == std::vector<std::string>{"a=1", "b=2"});
  CHECK(ops == std::vector<std::string>{"write", "fsync", "rename"});
}

TEST_CASE("FNV-1a 64 matches the reference values") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
  CHECK(fnv1a64("bar", fnv1a64("foo")) == fnv1a64("foobar"));
}
