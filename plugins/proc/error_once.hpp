// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <string>
#include <utility>

#include <nmz/sdk/context.hpp>

namespace nmz::plugins::proc {

// Reports the first failure of each (operation, errno) pair with its details
// and only counts the rest: a watch interval of 1 ms would otherwise log
// thousands of identical lines a second. summary() gives the counts.
class ErrorOnce {
 public:
  explicit ErrorOnce(sdk::Logger& logger) : logger_(logger) {}

  // `what` names the call and its arguments ("sched_setattr(tid 42,
  // SCHED_RR priority 0)"); `hint` is appended to the first report.
  void report(const std::string& operation, int error_number, const std::string& what, const std::string& hint = {});

  // "sched_setattr EBUSY x12, kill EPERM x1", or "" when nothing failed.
  [[nodiscard]] std::string summary() const;

 private:
  sdk::Logger& logger_;
  std::map<std::pair<std::string, int>, long> counts_;
};

}  // namespace nmz::plugins::proc
