// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string_view>

namespace nmz::core::rest {

// True when arrays and objects in `text` nest deeper than `max_depth`
// (brackets inside strings do not count). A linear scan without recursion,
// run before a JSON parser whose tree would be destroyed and printed
// recursively: a body of 100 KB of '[' must not take the stack.
bool json_nesting_exceeds(std::string_view text, std::size_t max_depth);

}  // namespace nmz::core::rest
