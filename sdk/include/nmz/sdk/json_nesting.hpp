// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <cstddef>
#include <string_view>

namespace nmz::sdk {

// The deepest nesting of arrays and objects in the JSON `text` (brackets
// inside strings do not count), by a linear scan without recursion. Check it
// before handing untrusted text to a JSON parser whose tree is destroyed and
// printed recursively: 100 KB of '[' must be refused, not take the stack.
// Thread: any.
std::size_t json_nesting_depth(std::string_view text);

}  // namespace nmz::sdk
