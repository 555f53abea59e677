// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "region.hpp"

// A recorded schedule: the scheduler's parameters and the thread chosen at
// every choice point, as a small text file (diffable, editable):
//
//   # nmz native schedule 1
//   policy pct
//   depth 3
//   seed 42
//   steps 50
//   decisions 4
//   1 2 2 0
namespace nmz::native {

struct Schedule {
  PolicyKind policy = PolicyKind::pct;
  std::uint32_t depth = 3;
  std::uint64_t seed = 0;
  std::uint64_t steps = 0;
  std::vector<std::uint16_t> decisions;
};

const char* policy_name(PolicyKind policy);
sdk::Result<PolicyKind> parse_policy(const std::string& name);

// Errors name the file and line: "s.txt:3: expected \"depth N\", got ...".
sdk::Result<Schedule> read_schedule(const std::string& path);
// Written to a temporary file in the same directory, then renamed.
sdk::Status write_schedule(const std::string& path, const Schedule& schedule);

}  // namespace nmz::native
