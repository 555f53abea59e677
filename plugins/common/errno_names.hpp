// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string_view>

namespace nmz::plugins {

// The number of a symbolic errno name such as "ENOSPC", as the C library
// running the plugin knows it; nothing for an unknown name.
std::optional<int> errno_from_name(std::string_view name);

}  // namespace nmz::plugins
