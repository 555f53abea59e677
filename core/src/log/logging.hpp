// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include <nmz/sdk/context.hpp>

namespace nmz::core {

// Console logging on stderr, Namazu-like lines ("[NMZ-I] 12:00:01.234 ...");
// debug level when NMZ_DEBUG is set and not empty. Call once, first in main().
void init_logging();

// Also writes every logger's lines to `path` (nmz run's <workdir>/nmz.log).
void add_log_file(const std::filesystem::path& path);

// While the terminal is raw (`nmz container run -it`), it no longer turns
// "\n" into "\r\n": console lines then end in "\r\n" themselves, or each
// would start where the previous one ended. Pass false to undo.
void set_console_raw_terminal(bool raw);

// A named logger sharing the console (and file) sinks.
std::shared_ptr<spdlog::logger> named_logger(const std::string& name);

// What components log through: they never touch spdlog themselves, so a
// plugin built against another spdlog cannot split the registry.
class ComponentLogger final : public sdk::Logger {
 public:
  explicit ComponentLogger(const std::string& component_name);
  void write(sdk::LogLevel level, std::string_view message) noexcept override;
  [[nodiscard]] bool enabled(sdk::LogLevel level) const noexcept override;

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace nmz::core
