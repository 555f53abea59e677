// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include <nmz/sdk/export.hpp>
#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

// Namazu REST API v3 JSON form of signals. Parsing is strict about what the
// routing needs (class registered, type right, option an object) and lenient
// about extra members, like Namazu's schemas.
namespace nmz::sdk {

NMZ_SDK_API std::string to_json(const Event& event);
NMZ_SDK_API std::string to_json(const Action& action);

// Errors name what is wrong: "malformed JSON at line L, column C: ...", "unknown event
// class \"X\"", "missing \"class\"", "\"option\" must be an object".
NMZ_SDK_API Result<Event> event_from_json(std::string_view json);
NMZ_SDK_API Result<Action> action_from_json(std::string_view json);

}  // namespace nmz::sdk
