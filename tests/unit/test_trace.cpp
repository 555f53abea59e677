// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>

#include <fstream>

#include <doctest/doctest.h>

#include "orchestrator/trace.hpp"

using namespace nmz;

TEST_CASE("traces round-trip through JSON lines, written atomically") {
  auto dir = std::filesystem::temp_directory_path() / ("nmz-trace-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  core::Trace trace;
  auto event = sdk::make_filesystem_event("fs", "pre-mkdir", "a/b", "pre-mkdir a/b");
  trace.push_back({sdk::default_action(event), event, std::chrono::system_clock::now(), std::chrono::system_clock::now()});
  trace.push_back({sdk::make_shell_action("true"), std::nullopt, {}, std::chrono::system_clock::now()});
  REQUIRE(core::write_trace(dir / "trace.jsonl", trace));
  CHECK_FALSE(std::filesystem::exists(dir / ("trace.jsonl.tmp." + std::to_string(::getpid()))));
  auto back = core::read_trace(dir / "trace.jsonl").value();
  REQUIRE(back.size() == 2);
  CHECK(back[0].event->replay_hint == "pre-mkdir a/b");
  CHECK(back[0].action.event_uuid == event.uuid);
  CHECK(back[0].event_arrived == trace[0].event_arrived);
  CHECK_FALSE(back[1].event.has_value());
  std::ofstream(dir / "broken.jsonl") << core::trace_entry_to_json_line(trace[0]) << "\n{\"action\":\n";
  CHECK(core::read_trace(dir / "broken.jsonl").status().message().rfind((dir / "broken.jsonl").string() + ":2: ", 0) ==
        0);
  std::filesystem::remove_all(dir);
}
