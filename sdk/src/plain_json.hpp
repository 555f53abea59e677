// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace nmz::sdk {

// A reader for the JSON that signals nearly always are: strings of
// printable ASCII without escapes, small integers, true/false/null, objects
// and arrays of those. Inside that subset it writes the exact text
// nlohmann::json's parse-then-dump gives (keys sorted, no whitespace)
// without building a tree; outside it, it answers false and the caller
// takes nlohmann's path, which also gives the precise error. Every function
// consumes from the front of `text` only on success.

// Skips JSON whitespace.
void skip_json_space(std::string_view& text) noexcept;

// What follows a member or an element: ',' (more), the closing bracket
// `close`, or anything else.
enum class JsonNext { more, closed, malformed };
JsonNext read_json_separator(std::string_view& text, char close) noexcept;

// A string literal whose content needs no decoding.
bool read_plain_json_string(std::string_view& text, std::string_view& value) noexcept;

// One value, appended to `out` in nlohmann's compact form.
bool append_plain_json_value(std::string_view& text, std::string& out);

// An object, appended in nlohmann's compact form; its member `set_aside`
// (when it is a plain string; "" sets nothing aside) is stored in `aside`
// instead of written.
bool append_plain_json_object(std::string_view& text, std::string& out, std::string_view set_aside,
                              std::string_view& aside);

}  // namespace nmz::sdk
