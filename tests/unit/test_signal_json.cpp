// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <nmz/sdk/json_string.hpp>
#include <nmz/sdk/proc_sched.hpp>
#include <nmz/sdk/signal_json.hpp>

using namespace nmz::sdk;

TEST_CASE("events round-trip through the Namazu v3 JSON form") {
  Event event = make_packet_event("_namazu_ethernet_inspector", "entity-10.0.0.1:2181", "entity-10.0.0.2:2181",
                                  std::string("\x00\x01\xfe", 3), "flow-42");
  auto json = nlohmann::json::parse(to_json(event));
  CHECK(json["type"] == "event");
  CHECK(json["class"] == "PacketEvent");
  CHECK(json["deferred"] == true);
  CHECK(json["replay_hint"] == "flow-42");
  CHECK(json["option"]["src_entity"] == "entity-10.0.0.1:2181");
  CHECK(json["option"]["bytes"] == "AAH+");  // base64, as Go encodes []byte
  auto back = event_from_json(to_json(event));
  REQUIRE(back.has_value());
  CHECK(back->uuid == event.uuid);
  CHECK(back->entity == event.entity);
  CHECK(back->class_name == event.class_name);
  CHECK(back->deferred);
  CHECK(back->replay_hint == "flow-42");
  CHECK(back->payload == event.payload);
  CHECK(nlohmann::json::parse(back->option) == nlohmann::json::parse(event.option));
}

TEST_CASE("the payload is raw in memory and option \"bytes\" in JSON, for every length") {
  for (std::size_t length : {0u, 1u, 2u, 3u, 4u, 5u, 65535u}) {
    CAPTURE(length);
    std::string bytes;
    for (std::size_t i = 0; i < length; ++i) bytes += static_cast<char>(i * 7 + 3);
    Event event = make_packet_event("eth", "a\"b", "c", bytes, "hint");
    CHECK(option_string(event.option, "bytes") == std::nullopt);
    std::string text = to_json(event);
    auto json = nlohmann::json::parse(text);
    // The hand-assembled text is exactly what nlohmann writes for the same content.
    CHECK(text == json.dump());
    CHECK(json["option"]["bytes"].get<std::string>().size() == (length + 2) / 3 * 4);
    auto back = event_from_json(text);
    REQUIRE(back.has_value());
    CHECK(back->payload == bytes);
    CHECK_FALSE(nlohmann::json::parse(back->option).contains("bytes"));
  }
}

TEST_CASE("a Namazu PacketEvent's base64 bytes become the payload; bad base64 is refused") {
  auto event = event_from_json(R"({"type":"event","class":"PacketEvent","entity":"eth","uuid":"u","deferred":true,
      "option":{"src_entity":"a","dst_entity":"b","bytes":"aGVsbG8="}})");
  REQUIRE(event.has_value());
  CHECK(event->payload == "hello");
  CHECK(option_string(event->option, "src_entity") == "a");
  auto unpadded = event_from_json(R"({"type":"event","class":"PacketEvent","entity":"eth","uuid":"u",
      "option":{"bytes":"aGVsbG8"}})");
  REQUIRE(unpadded.has_value());
  CHECK(unpadded->payload == "hello");
  for (const char* bad : {"aGVsbG8*", "aGVsb", "a==="}) {
    CAPTURE(bad);
    auto refused = event_from_json(std::string(R"({"type":"event","class":"PacketEvent","entity":"eth","uuid":"u",
        "option":{"bytes":")") + bad + "\"}}");
    CHECK(refused.status().message() == "option \"bytes\" must be base64 (standard alphabet)");
  }
}

TEST_CASE("a Namazu LogEvent as pynmz sends it parses; deferred and replay_hint may be absent") {
  auto event = event_from_json(R"({"type":"event","class":"LogEvent","entity":"syslog","uuid":"u1",
      "option":{"src":"zk1","message":"LOOKING"}})");
  REQUIRE(event.has_value());
  CHECK_FALSE(event->deferred);
  CHECK(event->replay_hint.empty());
  CHECK(option_string(event->option, "message") == "LOOKING");
}

TEST_CASE("actions round-trip, event_uuid at top level") {
  Event event = make_filesystem_event("fs", "pre-fsync", "data/log.1", "pre-fsync data/log.1");
  Action fault = default_fault_action(event, 28).value();
  auto json = nlohmann::json::parse(to_json(fault));
  CHECK(json["class"] == "FilesystemFaultAction");
  CHECK(json["event_uuid"] == event.uuid);
  CHECK(json["option"]["errno"] == 28);
  auto back = action_from_json(to_json(fault));
  REQUIRE(back.has_value());
  CHECK(back->event_uuid == event.uuid);
  CHECK(option_int(back->option, "errno") == 28);
}

TEST_CASE("malformed signals are clear errors") {
  CHECK(event_from_json("{").status().message() ==
        "malformed JSON at line 1, column 2: syntax error while parsing object key - unexpected end of input; "
        "expected string literal");
  CHECK(event_from_json(R"({"type":"event","class":"MagicEvent","entity":"e","uuid":"u"})").status().message() ==
        "unknown event class \"MagicEvent\"");
  CHECK(event_from_json(R"({"type":"event","entity":"e","uuid":"u"})").status().message() == "missing \"class\"");
  CHECK(event_from_json(R"({"type":"action","class":"NopEvent","entity":"e","uuid":"u"})").status().message() ==
        "\"type\" must be \"event\", got \"action\"");
  CHECK(event_from_json(R"({"type":"event","class":"NopEvent","entity":"e","uuid":"u","option":3})")
            .status()
            .message() == "\"option\" must be an object");
  CHECK(event_from_json(R"({"type":"event","class":"NopEvent","entity":"e","uuid":"u","deferred":"yes"})")
            .status()
            .message() == "\"deferred\" must be a boolean");
  CHECK(action_from_json(R"({"type":"action","class":"KillAction","entity":"e","uuid":"u"})").status().message() ==
        "unknown action class \"KillAction\"");
  CHECK(event_from_json("[1,2]").status().message() == "a signal must be a JSON object");
}

TEST_CASE("default and fault actions per class") {
  Event deferred = make_packet_event("eth", "a", "b", "x", "");
  Event plain = make_nop_event("nop");
  CHECK(default_action(deferred).class_name == action_class::event_acceptance);
  CHECK(default_action(plain).class_name == action_class::nop);
  CHECK(default_fault_action(deferred)->class_name == action_class::packet_fault);
  CHECK_FALSE(default_fault_action(plain).has_value());
  CHECK(default_fault_action(make_event("j", event_class::java_function, true, "{}"))->class_name ==
        action_class::java_function_fault);
  CHECK_FALSE(default_fault_action(make_event("c", event_class::c_function, true, "{}")).has_value());
  CHECK(is_orchestrator_side_only(default_action(plain)));
  CHECK(is_orchestrator_side_only(make_shell_action("echo hi")));
  CHECK_FALSE(is_orchestrator_side_only(default_action(deferred)));
  Action shell = make_shell_action("echo hi", R"({"comment":"x"})");
  CHECK(shell.entity == kShellActionEntity);
  CHECK(option_string(shell.option, "command") == "echo hi");
}

TEST_CASE("uuids are version 4 and distinct") {
  std::string a = new_uuid();
  std::string b = new_uuid();
  CHECK(a != b);
  REQUIRE(a.size() == 36);
  CHECK(a[14] == '4');
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);
}

TEST_CASE("ProcSetEvent and ProcSetSchedAction use Namazu's field names") {
  Event event = make_proc_set_event("proc", {101, 102}, {100});
  auto json = nlohmann::json::parse(event.option);
  CHECK(json["procs"] == nlohmann::json({"101", "102"}));
  CHECK(proc_set_tids(event).value() == std::vector<int>{101, 102});
  CHECK(proc_set_pids(event).value() == std::vector<int>{100});

  ProcSchedPlan plan;
  SchedAttr rr;
  rr.policy = SchedPolicy::rr;
  rr.priority = 5;
  rr.cpus = {1};
  plan.attrs[101] = rr;
  SchedAttr deadline;
  deadline.policy = SchedPolicy::deadline;
  deadline.flags = kSchedFlagResetOnFork;
  deadline.runtime = std::chrono::microseconds(300);
  deadline.deadline = deadline.period = std::chrono::milliseconds(1);
  plan.attrs[102] = deadline;
  plan.pauses[100] = std::chrono::milliseconds(20);
  Action action = make_proc_set_sched_action(event, plan);
  auto attrs = nlohmann::json::parse(action.option)["attrs"];
  CHECK(attrs["101"]["Policy"] == 2);
  CHECK(attrs["101"]["Priority"] == 5);
  CHECK(attrs["102"]["Runtime"] == 300000);
  CHECK(attrs["102"]["Flags"] == 1);
  auto back = proc_sched_plan(action_from_json(to_json(action)).value()).value();
  CHECK(back.attrs.at(101).cpus == std::vector<int>{1});
  CHECK(back.attrs.at(102).period == std::chrono::milliseconds(1));
  CHECK(back.pauses.at(100) == std::chrono::milliseconds(20));

  Event bad = make_event("proc", event_class::proc_set, false, R"({"procs":["12x"]})");
  CHECK(proc_set_tids(bad).status().message() == "ProcSetEvent \"procs\" has a non-numeric id \"12x\"");
}

TEST_CASE("option members are found however the JSON spells their names") {
  CHECK(option_int("{}", "duplicate") == std::nullopt);
  CHECK(option_int(R"({"duplicate":2})", "duplicate") == 2);
  CHECK(option_int(R"({"\u0064uplicate":3})", "duplicate") == 3);
  CHECK(option_string(R"({"comm\u0061nd":"ls"})", "command") == "ls");
  CHECK(option_string(R"({"other":"command"})", "command") == std::nullopt);
}

TEST_CASE("strings in hand-written JSON are escaped as nlohmann escapes them; bad UTF-8 becomes U+FFFD") {
  for (std::string path : {std::string("plain/path"), std::string("tab\there \"quoted\" back\\slash"),
                           std::string("ctl\x01\x1f"), std::string("caf\xc3\xa9 \xe2\x82\xac")}) {
    CAPTURE(path);
    Event event = make_filesystem_event("fs", "pre-write", path, "hint");
    CHECK(event.option == nlohmann::json{{"op", "pre-write"}, {"path", path}}.dump());
    CHECK(to_json(event) == nlohmann::json::parse(to_json(event)).dump());
    CHECK(option_string(event.option, "path") == path);
  }
  Event bad = make_filesystem_event("fs", "pre-write", std::string("bad\xff name"), "hint");
  CHECK(option_string(bad.option, "path") == "bad\xef\xbf\xbd name");
}

TEST_CASE("absurdly nested JSON is refused with a clear error, not a stack overflow") {
  const std::string deep = R"({"type":"event","class":"NopEvent","entity":"e","uuid":"u","option":{"a":)" +
                           std::string(100000, '[') + std::string(100000, ']') + "}}";
  auto event = nmz::sdk::event_from_json(deep);
  REQUIRE(!event.has_value());
  CHECK(event.status().message() == "JSON nested 100002 levels deep; at most 128 are accepted");
  // Brackets inside strings are not nesting.
  auto flat = nmz::sdk::event_from_json(R"({"type":"event","class":"NopEvent","entity":"e","uuid":"u","option":{"a":")" +
                                        std::string(1000, '[') + R"("}})");
  CHECK(flat.has_value());
}

TEST_CASE("a number beyond double's range is a clear error, not an exception") {
  // Found by fuzz/signal_json_fuzzer (fuzz/regressions/signal_json/number-overflow.json).
  auto event = nmz::sdk::event_from_json(R"({"type":"event","class":"NopEvent","entity":"e","uuid":"u","option":{"x":1e999999}})");
  REQUIRE(!event.has_value());
  CHECK(event.status().message() == "malformed JSON: number overflow parsing '1e999999'");
  auto action = nmz::sdk::action_from_json("7e777");
  REQUIRE(!action.has_value());
  CHECK(action.status().message() == "malformed JSON: number overflow parsing '7e777'");
}

TEST_CASE("one JSON string quoting: control characters escaped, invalid UTF-8 replaced") {
  CHECK(json_string("plain") == "\"plain\"");
  CHECK(json_string("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  // A file name or a thread name is bytes: 0xff is no UTF-8, and written raw
  // it makes the whole document unreadable to a strict parser.
  std::string quoted = json_string("name\xff");
  CHECK(quoted == "\"name\xef\xbf\xbd\"");
  CHECK(nlohmann::json::parse(quoted) == "name\xef\xbf\xbd");
}

TEST_CASE("events read without a tree equal what nlohmann reads, inside and outside the plain subset") {
  const std::string head = R"({"type":"event","class":"PacketEvent","entity":"eth","uuid":"u","deferred":true,"option":)";
  const char* options[] = {
      R"({"src_entity":"a","dst_entity":"b","message":{}})",
      R"( { "z" : [ 1 , -2 , true , false , null , "s" , [ ] , { } ] , "a" : { "y" : 0 , "b" : -17 } } )",
      R"({"n":123456789012345678,"big":1234567890123456789012,"f":1.5,"e":1e3,"neg0":-0})",
      R"({"esc":"a\"b\\c\u00e9","utf8":"h\u00c3\u00a9","slash":"a\/b"})",
      "{\"raw\":\"caf\xc3\xa9\"}",
      R"({"bytes":"aGVsbG8=","src_entity":"a"})",
      R"({"bytes":"","x":1})",
      R"({"bytes":5,"x":1})",
      R"({"dup":1,"dup":2})",
      R"({"":"empty key","bytes":"aGk="})",
      R"({"bytes":"aGVsbG8=","bytes":"aGk="})",
      "null",
  };
  for (const char* option : options) {
    const std::string text = head + option + "}";
    CAPTURE(text);
    auto reference = nlohmann::json::parse(text);
    auto& expected_option = reference["option"];
    if (expected_option.is_null()) expected_option = nlohmann::json::object();
    std::string expected_payload;
    if (auto bytes = expected_option.find("bytes"); bytes != expected_option.end() && bytes->is_string()) {
      expected_payload = bytes->get<std::string>() == "aGk=" ? "hi" : bytes->get<std::string>().empty() ? "" : "hello";
      expected_option.erase("bytes");
    }
    auto event = event_from_json(text);
    REQUIRE(event.has_value());
    CHECK(event->option == expected_option.dump());
    CHECK(event->payload == expected_payload);
    CHECK(event->uuid == "u");
    CHECK(event->deferred);
  }
  // Members in any order, with whitespace, and the errors nlohmann's path words.
  auto reordered = event_from_json(R"( { "option" : {} , "uuid":"u2", "entity":"e","deferred":false,
      "class":"LogEvent","replay_hint":"h","type":"event" } )");
  REQUIRE(reordered.has_value());
  CHECK(reordered->uuid == "u2");
  CHECK(reordered->class_name == "LogEvent");
  CHECK(reordered->replay_hint == "h");
  CHECK_FALSE(reordered->deferred);
  CHECK(event_from_json(R"({"type":"event","class":"NoSuchEvent","entity":"e","uuid":"u"})").status().message() ==
        "unknown event class \"NoSuchEvent\"");
  CHECK(event_from_json(R"({"type":"action","class":"LogEvent","entity":"e","uuid":"u"})").status().message() ==
        "\"type\" must be \"event\", got \"action\"");
  CHECK(event_from_json(R"({"type":"event","class":"LogEvent","entity":"e"})").status().message() ==
        "missing \"uuid\"");
  CHECK_FALSE(event_from_json(R"({"type":"event","class":"LogEvent","entity":"e","uuid":"u"} x)").has_value());
  CHECK_FALSE(event_from_json(R"({"type":"event","class":"LogEvent","entity":"e","uuid":"u","option":[]})")
                  .has_value());
  CHECK_FALSE(event_from_json(R"({"type":"event","class":"LogEvent","entity":"e","uuid":"u","option":{"a":01}})")
                  .has_value());
}

TEST_CASE("an action is written as nlohmann writes it, whatever its option") {
  for (const char* option : {"{}", R"({"b":1,"a":[true,{"d":null,"c":"x"}]})", R"( {"f": 2.50, "s":"\u00e9"} )",
                             R"({"":"empty key","a":1})",
                             "[1]", "not json", ""}) {
    CAPTURE(option);
    Action action{"a-uuid", "ent\"ity", std::string(action_class::filesystem_fault), "e-uuid", option};
    std::string text = to_json(action);
    auto json = nlohmann::json::parse(text);
    CHECK(text == json.dump());
    auto expected = nlohmann::json::parse(option, nullptr, false);
    CHECK(json["option"] == (expected.is_object() ? expected : nlohmann::json::object()));
    CHECK(json["event_uuid"] == "e-uuid");
    CHECK(json["entity"] == "ent\"ity");
  }
  Action without_cause{"a", "e", std::string(action_class::nop), "", "{}"};
  CHECK(to_json(without_cause) == R"({"class":"NopAction","entity":"e","option":{},"type":"action","uuid":"a"})");
}
