// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include <nmz/sdk/status.hpp>

namespace nmz::core {

// Typed, case-insensitive reads of one TOML table with Namazu's casting rules
// (viper + spf13/cast): bools also from "true"/"false"/"1"/"0" and integers,
// durations from Go strings or integer nanoseconds, doubles also from
// integers. Unlike Namazu, a value of the wrong type is an error naming file,
// line, key and what was expected, never a silent zero.
class TomlLookup {
 public:
  // `table` may be null (an absent table: every key is absent). `key_prefix`
  // is how keys are named in messages ("explorePolicyParam").
  TomlLookup(const toml::table* table, std::string file, std::string key_prefix);

  sdk::Result<std::optional<std::string>> get_string(std::string_view key) const;
  sdk::Result<std::optional<std::int64_t>> get_int(std::string_view key) const;
  sdk::Result<std::optional<double>> get_double(std::string_view key) const;
  sdk::Result<std::optional<bool>> get_bool(std::string_view key) const;
  sdk::Result<std::optional<std::chrono::nanoseconds>> get_duration(std::string_view key) const;
  sdk::Result<std::optional<std::vector<std::string>>> get_string_list(std::string_view key) const;
  // A sub-table (error if the key holds something else); null when absent.
  sdk::Result<const toml::table*> get_table(std::string_view key) const;

  // "<file>:<line>:<col>: key <prefix.key>: expected <expected>, got <what>".
  sdk::Status invalid(std::string_view key, std::string_view expected) const;
  // Keys of the table as written, for unknown-key warnings.
  std::vector<std::string> keys() const;
  const std::string& file() const noexcept { return file_; }

 private:
  const toml::node* find(std::string_view dotted_key) const;
  sdk::Status type_error(std::string_view key, const toml::node& node, std::string_view expected) const;
  std::string full_key(std::string_view key) const;

  const toml::table* table_;
  std::string file_;
  std::string key_prefix_;
};

// Equal ignoring ASCII case: config keys are case-insensitive, as in Namazu.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace nmz::core
