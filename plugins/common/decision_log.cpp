// SPDX-License-Identifier: Apache-2.0
#include "decision_log.hpp"

#include <string>

namespace nmz::plugins {

void log_decision(sdk::Logger& logger, const sdk::Event& event, const sdk::Action& action,
                  std::chrono::nanoseconds delay) noexcept {
  if (!logger.enabled(sdk::LogLevel::debug)) return;
  try {
    logger.debug(event.class_name + " " + event.uuid + " from " + event.entity + " -> " + action.class_name + " " +
                 action.option + " after " + std::to_string(delay.count()) + "ns");
  } catch (...) {
    // Out of memory: a missing debug line is the least of the problems.
  }
}

}  // namespace nmz::plugins
