// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace nmz::sdk {

// Standard alphabet with padding, as Go's encoding/json writes []byte.
std::string base64_encode(std::string_view bytes);

}  // namespace nmz::sdk
