// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/signal.hpp>

namespace nmz::plugins {

// At debug level (NMZ_DEBUG), one line per decision: the event, the action
// and its delay in exact nanoseconds, so that two runs with the same seed
// can be compared line by line. Costs nothing at other levels.
void log_decision(sdk::Logger& logger, const sdk::Event& event, const sdk::Action& action,
                  std::chrono::nanoseconds delay) noexcept;

}  // namespace nmz::plugins
