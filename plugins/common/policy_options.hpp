// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/status.hpp>

// Reading policy parameters with the checks several policies share. Each
// returns the default when the key is absent, the value when it is valid,
// and otherwise the ConfigView's error (file, line, key, what was expected).
namespace nmz::plugins {

sdk::Result<std::chrono::nanoseconds> non_negative_duration(const sdk::ConfigView& options, std::string_view key,
                                                            std::chrono::nanoseconds fallback);

sdk::Result<double> probability(const sdk::ConfigView& options, std::string_view key, double fallback);

// A string that must be one of `choices` (compared exactly, as Namazu did).
sdk::Result<std::string> one_of(const sdk::ConfigView& options, std::string_view key, std::string_view fallback,
                                std::initializer_list<std::string_view> choices);

}  // namespace nmz::plugins
