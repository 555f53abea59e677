// SPDX-License-Identifier: Apache-2.0
#include "error_once.hpp"

#include <cerrno>
#include <cstring>

namespace nmz::plugins::proc {
namespace {

std::string errno_name(int error_number) {
  const char* name = strerrorname_np(error_number);
  return name != nullptr ? name : "errno " + std::to_string(error_number);
}

}  // namespace

void ErrorOnce::report(const std::string& operation, int error_number, const std::string& what,
                       const std::string& hint) {
  if (counts_[{operation, error_number}]++ > 0) return;
  std::string message = what + ": " + errno_name(error_number) + " (" + std::strerror(error_number) + ")";
  if (!hint.empty()) message += "; " + hint;
  message += "; further " + operation + " " + errno_name(error_number) + " failures are only counted";
  logger_.warn(message);
}

std::string ErrorOnce::summary() const {
  std::string text;
  for (const auto& [key, count] : counts_) {
    if (!text.empty()) text += ", ";
    text += key.first + " " + errno_name(key.second) + " x" + std::to_string(count);
  }
  return text;
}

}  // namespace nmz::plugins::proc
