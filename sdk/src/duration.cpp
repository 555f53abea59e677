// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/duration.hpp>

#include <cmath>
#include <cstdio>

namespace nmz::sdk {
namespace {

struct Unit {
  std::string_view name;
  double nanoseconds;
};
// Longest names first so that "ms" is not read as "m".
constexpr Unit kUnits[] = {{"ns", 1},   {"us", 1e3},  {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
                           {"ms", 1e6}, {"s", 1e9},   {"m", 60e9},        {"h", 3600e9}};

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  auto fail = [&](const char* why) {
    return Status::invalid("invalid duration \"" + std::string(text) + "\": " + why +
                           " (expected Go syntax such as \"80ms\", \"1.5s\" or \"1h30m\")");
  };
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return std::chrono::nanoseconds(0);
  if (rest.empty()) return fail("empty");
  double total = 0;
  while (!rest.empty()) {
    std::size_t digits = 0;
    bool seen_digit = false;
    bool seen_point = false;
    while (digits < rest.size() && ((rest[digits] >= '0' && rest[digits] <= '9') || rest[digits] == '.')) {
      if (rest[digits] == '.') {
        if (seen_point) return fail("two decimal points");
        seen_point = true;
      } else {
        seen_digit = true;
      }
      ++digits;
    }
    if (!seen_digit) return fail("expected a number");
    double value = std::strtod(std::string(rest.substr(0, digits)).c_str(), nullptr);
    rest.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (rest.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return fail(rest.empty() ? "missing unit" : "unknown unit");
    rest.remove_prefix(unit->name.size());
    total += value * unit->nanoseconds;
  }
  if (total > 9.2e18) return fail("out of range");
  auto ns = static_cast<std::int64_t>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

std::string format_duration(std::chrono::nanoseconds duration) {
  std::int64_t ns = duration.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  double magnitude = std::fabs(static_cast<double>(ns));
  const char* unit = "ns";
  double scale = 1;
  if (magnitude >= 1e9) {
    unit = "s";
    scale = 1e9;
  } else if (magnitude >= 1e6) {
    unit = "ms";
    scale = 1e6;
  } else if (magnitude >= 1e3) {
    unit = "us";
    scale = 1e3;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.9g%s", magnitude / scale, unit);
  return sign + buffer;
}

}  // namespace nmz::sdk
