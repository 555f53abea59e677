// SPDX-License-Identifier: Apache-2.0
#include "policy_options.hpp"

namespace nmz::plugins {

sdk::Result<std::chrono::nanoseconds> non_negative_duration(const sdk::ConfigView& options, std::string_view key,
                                                            std::chrono::nanoseconds fallback) {
  auto value = options.get_duration(key);
  if (!value) return value.status();
  auto duration = value->value_or(fallback);
  if (duration.count() < 0) return options.invalid(key, "a duration of 0 or more");
  return duration;
}

sdk::Result<double> probability(const sdk::ConfigView& options, std::string_view key, double fallback) {
  auto value = options.get_double(key);
  if (!value) return value.status();
  double p = value->value_or(fallback);
  // Written so that NaN fails too.
  if (!(p >= 0.0 && p <= 1.0)) return options.invalid(key, "a probability from 0 to 1");
  return p;
}

sdk::Result<std::string> one_of(const sdk::ConfigView& options, std::string_view key, std::string_view fallback,
                                std::initializer_list<std::string_view> choices) {
  auto value = options.get_string(key);
  if (!value) return value.status();
  std::string chosen = value->value_or(std::string(fallback));
  std::string listing;
  for (auto choice : choices) {
    if (chosen == choice) return chosen;
    listing += listing.empty() ? "one of " : ", ";
    listing += "\"" + std::string(choice) + "\"";
  }
  return options.invalid(key, listing);
}

}  // namespace nmz::plugins
