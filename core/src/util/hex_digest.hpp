// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace nmz::core {

// FNV-1a-64 of `bytes` as 16 lower-case hex digits: short stable ids
// (run signatures, coverage patterns) that people can compare by eye.
std::string fnv1a64_hex(std::string_view bytes);

}  // namespace nmz::core
