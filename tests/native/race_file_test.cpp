// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "race_file.hpp"

using nmz::native::parse_race_line;
using nmz::native::RaceLine;
using nmz::native::RacePair;

TEST_CASE("a race line names two instructions by module and offset") {
  RacePair pair;
  REQUIRE(parse_race_line("race exe+0x11a4 libfoo.so.1+0x8e0", pair) == RaceLine::race);
  CHECK(pair.first.module == "exe");
  CHECK(pair.first.offset == 0x11a4);
  CHECK(pair.second.module == "libfoo.so.1");
  CHECK(pair.second.offset == 0x8e0);
  // A module name may itself contain "+0x": the offset is after the last one.
  REQUIRE(parse_race_line("race a+0xb+0x10 exe+0x1\r", pair) == RaceLine::race);
  CHECK(pair.first.module == "a+0xb");
  CHECK(pair.first.offset == 0x10);
}

TEST_CASE("blank lines and # lines are comments") {
  RacePair pair;
  CHECK(parse_race_line("", pair) == RaceLine::comment);
  CHECK(parse_race_line("   ", pair) == RaceLine::comment);
  CHECK(parse_race_line("# nmz native races 1", pair) == RaceLine::comment);
}

TEST_CASE("anything else is malformed") {
  RacePair pair;
  for (const char* line : {"race exe+0x10", "race exe+0x10 exe+0x", "race exe+0x10 +0x20", "race exe+0x10 exe+20",
                           "race exe+0x10 exe+0xZZ", "race exe+0x10 exe+0x20 extra", "races exe+0x10 exe+0x20",
                           "race exe+0x10 exe+0x11112222333344445", "race exe+0X10 exe+0x20"}) {
    CAPTURE(line);
    CHECK(parse_race_line(line, pair) == RaceLine::malformed);
  }
}
