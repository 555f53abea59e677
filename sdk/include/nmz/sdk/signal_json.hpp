// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <string>
#include <string_view>

#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

// Namazu REST API v3 JSON form of signals. Parsing is strict about what the
// routing needs (class registered, type right, option an object) and lenient
// about extra members, like Namazu's schemas.
namespace nmz::sdk {

std::string to_json(const Event& event);
std::string to_json(const Action& action);

// Errors name what is wrong: "malformed JSON at line L, column C: ...",
// "malformed JSON: number overflow parsing '1e999999'", "unknown event
// class \"X\"", "missing \"class\"", "\"option\" must be an object".
Result<Event> event_from_json(std::string_view json);
Result<Action> action_from_json(std::string_view json);

}  // namespace nmz::sdk
