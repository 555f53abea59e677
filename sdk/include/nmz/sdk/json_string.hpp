// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <string>
#include <string_view>

namespace nmz::sdk {

// Appends `text` as a JSON string literal, exactly as nlohmann::json writes
// it, except that invalid UTF-8 becomes U+FFFD instead of an exception (a
// file name is bytes, not text). Plain ASCII, the per-packet and
// per-operation case, skips nlohmann's serializer and its locale lookups.
// Thread: any.
void append_json_string(std::string& out, std::string_view text);

// `text` as a JSON string literal, as append_json_string writes it.
std::string json_string(std::string_view text);

}  // namespace nmz::sdk
