// SPDX-License-Identifier: Apache-2.0
#include "errno_names.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

namespace nmz::plugins {

std::optional<int> errno_from_name(std::string_view name) {
  // Asking the C library instead of keeping a table keeps the names exactly
  // the platform's. It names each number once, so aliases come separately.
  constexpr std::pair<std::string_view, int> kAliases[] = {
      {"EWOULDBLOCK", EWOULDBLOCK}, {"EDEADLOCK", EDEADLOCK}, {"ENOTSUP", ENOTSUP}};
  for (const auto& [alias, number] : kAliases) {
    if (name == alias) return number;
  }
  constexpr int kLargestErrno = 4095;  // the kernel's MAX_ERRNO
  for (int number = 1; number <= kLargestErrno; ++number) {
    const char* known = strerrorname_np(number);
    if (known != nullptr && name == known) return number;
  }
  return std::nullopt;
}

}  // namespace nmz::plugins
