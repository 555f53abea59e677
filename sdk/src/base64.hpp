// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nmz::sdk {

// Standard alphabet with padding, as Go's encoding/json writes []byte,
// appended to `out` (a packet's payload is up to 64 KiB: no extra copy).
void base64_append(std::string& out, std::string_view bytes);

// Decodes the standard alphabet, padded or not; nothing for any other
// character or a length no encoder produces.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace nmz::sdk
