// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::sdk {

// Command-line flags with the syntax Namazu users type (Go's flag package)
// and the one everyone else expects: `-pid 1`, `--pid 1`, `-pid=1`,
// `--pid=1`; booleans as `-x`, `-x=true`, `-x=false`. Parsing stops at the
// first argument that is not a flag, or after `--`; everything from there on
// is returned by positionals() (without the `--`).
//
// Targets are borrowed: they must outlive parse(). Not thread-safe; use from
// one thread (configure()).
class FlagSet {
 public:
  explicit FlagSet(std::string command_name);
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;
  ~FlagSet();

  // The target keeps its current value as the default.
  void add_string(std::string name, std::string* target, std::string help);
  void add_int(std::string name, std::int64_t* target, std::string help);
  void add_double(std::string name, double* target, std::string help);
  void add_bool(std::string name, bool* target, std::string help);
  void add_duration(std::string name, std::chrono::nanoseconds* target, std::string help);
  // Repeatable: each occurrence appends to the items the target already has.
  void add_string_list(std::string name, std::vector<std::string>* target, std::string help);

  // Errors: `nmz inspectors proc: flag -pid: expected an integer, got "x"`,
  // `... unknown flag -foo`, `... flag -pid: needs a value`. -h, -help and
  // --help (unless added as flags) give an error whose message is
  // "usage: COMMAND [flags]" and usage(): nmz prints it for an inspector's
  // -h and exits 0.
  Status parse(const std::vector<std::string>& args);

  [[nodiscard]] const std::vector<std::string>& positionals() const noexcept;
  // Whether `--` separated the flags from the positionals.
  [[nodiscard]] bool saw_double_dash() const noexcept;
  [[nodiscard]] bool was_set(std::string_view name) const noexcept;
  // Two lines per flag: "  -name value", then the help and "(default ...)"
  // unless the default is empty (an empty string or list), as Go prints it.
  [[nodiscard]] std::string usage() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nmz::sdk
