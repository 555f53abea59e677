// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/export.hpp>
#include <nmz/sdk/status.hpp>

// Services the host lends to components. Every reference handed out here is
// borrowed: it stays valid for the whole life of the component it was given to.
namespace nmz::sdk {

enum class LogLevel { debug, info, warn, error };

// Implemented by the host on top of its logging (a logger named after the
// component). Thread-safe; never blocks for long; never throws.
class NMZ_SDK_API Logger {
 public:
  virtual ~Logger();
  virtual void write(LogLevel level, std::string_view message) noexcept = 0;
  [[nodiscard]] virtual bool enabled(LogLevel level) const noexcept = 0;

  void debug(std::string_view m) noexcept { write(LogLevel::debug, m); }
  void info(std::string_view m) noexcept { write(LogLevel::info, m); }
  void warn(std::string_view m) noexcept { write(LogLevel::warn, m); }
  void error(std::string_view m) noexcept { write(LogLevel::error, m); }
};

// A read-only view of one configuration table (for a policy, the
// `[explorePolicyParam]` table). Keys are case-insensitive and may be dotted
// ("procPolicyParam.useBatch"). Each getter returns:
//   - an empty optional when the key is absent (the component picks its default);
//   - the value when it is present and of the right type;
//   - an error Status naming file, line, key and what was expected otherwise.
// Durations accept Go syntax ("80ms", "1.5s", "1h30m") or integer nanoseconds.
// Thread-safe (const); never blocks.
class NMZ_SDK_API ConfigView {
 public:
  virtual ~ConfigView();
  virtual Result<std::optional<std::string>> get_string(std::string_view key) const = 0;
  virtual Result<std::optional<std::int64_t>> get_int(std::string_view key) const = 0;
  virtual Result<std::optional<double>> get_double(std::string_view key) const = 0;  // ints accepted
  virtual Result<std::optional<bool>> get_bool(std::string_view key) const = 0;      // "true"/"false" too
  virtual Result<std::optional<std::chrono::nanoseconds>> get_duration(std::string_view key) const = 0;
  virtual Result<std::optional<std::vector<std::string>>> get_string_list(std::string_view key) const = 0;
  // An error for `key` in the same form as the getters' ("config.toml:12:1:
  // key explorePolicyParam.faultActionProbability: expected ..., got 1.5"),
  // for checks only the component knows (ranges, enumerations).
  [[nodiscard]] virtual Status invalid(std::string_view key, std::string_view expected) const = 0;
};

// What a component is given when it is configured.
class NMZ_SDK_API ComponentContext {
 public:
  virtual ~ComponentContext();
  [[nodiscard]] virtual std::string_view component_name() const noexcept = 0;
  [[nodiscard]] virtual Logger& logger() const noexcept = 0;
  [[nodiscard]] virtual const ConfigView& options() const noexcept = 0;
  // The run's seed. Every random decision of a component must come from a
  // generator seeded with it, so that the same seed and the same event
  // sequence give the same decisions. The host logs it and stores it with
  // the run. `seed_text()` is the seed as the user wrote it (or as the host
  // chose it), for policies that hash text (replayable).
  [[nodiscard]] virtual std::uint64_t seed() const noexcept = 0;
  [[nodiscard]] virtual std::string_view seed_text() const noexcept = 0;
};

}  // namespace nmz::sdk
