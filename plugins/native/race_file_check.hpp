// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

#include <nmz/sdk/status.hpp>

// The inspector's side of the races file (format: race_file.hpp): checked
// before the run, so that a malformed file is refused with its file and
// line instead of silently turning race-directed scheduling off in the
// target, and counted after it, for the run's log.
namespace nmz::native {

// Creates the file (with its first line) when it does not exist yet, else
// checks every line. Returns the number of race lines.
sdk::Result<std::uint64_t> prepare_races_file(const std::string& path);

// The number of race lines now in the file (the target appended the new
// ones); malformed lines are not counted.
std::uint64_t count_races(const std::string& path);

}  // namespace nmz::native
