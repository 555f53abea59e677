// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <chrono>
#include <string>
#include <string_view>

#include <nmz/sdk/status.hpp>

namespace nmz::sdk {

// Go's time.ParseDuration syntax, which Namazu configs and flags use:
// "80ms", "1.5s", "1h30m", "-2us"; units ns, us, µs, ms, s, m, h; "0" alone.
// A bare number other than 0 is an error, as in Go.
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

// The shortest Go-style spelling ("1.5s", "80ms", "0s").
std::string format_duration(std::chrono::nanoseconds duration);

}  // namespace nmz::sdk
