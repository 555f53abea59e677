// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include <nmz/sdk/context.hpp>

#include "log/logging.hpp"
#include "orchestrator/run_seed.hpp"

namespace nmz::core {

// What the host lends a component: its logger, its options and the run's seed.
class HostComponentContext final : public sdk::ComponentContext {
 public:
  HostComponentContext(std::string name, std::unique_ptr<sdk::ConfigView> options, RunSeed seed);

  [[nodiscard]] std::string_view component_name() const noexcept override { return name_; }
  [[nodiscard]] sdk::Logger& logger() const noexcept override { return logger_; }
  [[nodiscard]] const sdk::ConfigView& options() const noexcept override { return *options_; }
  [[nodiscard]] std::uint64_t seed() const noexcept override { return seed_.value; }
  [[nodiscard]] std::string_view seed_text() const noexcept override { return seed_.text; }

 private:
  std::string name_;
  mutable ComponentLogger logger_;
  std::unique_ptr<sdk::ConfigView> options_;
  RunSeed seed_;
};

}  // namespace nmz::core
