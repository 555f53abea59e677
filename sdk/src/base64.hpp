// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nmz::sdk {

// Standard alphabet with padding, as Go's encoding/json writes []byte.
std::string base64_encode(std::string_view bytes);

// The same, appended to `out` (packet events encode up to 64 KiB each;
// this spares a copy of that).
void base64_append(std::string& out, std::string_view bytes);

// Decodes the standard alphabet, padded or not; nothing for any other
// character or a length no encoder produces.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace nmz::sdk
