// SPDX-License-Identifier: Apache-2.0
#include "log/logging.hpp"

#include <cstdlib>
#include <mutex>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "plugin/plugin_call.hpp"

namespace nmz::core {
namespace {

std::mutex g_sinks_mutex;
std::vector<spdlog::sink_ptr> g_sinks;

spdlog::level::level_enum configured_level() {
  const char* debug = std::getenv("NMZ_DEBUG");
  return debug != nullptr && *debug != '\0' ? spdlog::level::debug : spdlog::level::info;
}

spdlog::level::level_enum to_spdlog(sdk::LogLevel level) {
  switch (level) {
    case sdk::LogLevel::debug:
      return spdlog::level::debug;
    case sdk::LogLevel::info:
      return spdlog::level::info;
    case sdk::LogLevel::warn:
      return spdlog::level::warn;
    case sdk::LogLevel::error:
      break;
  }
  return spdlog::level::err;
}

constexpr const char* kPattern = "[NMZ-%L] %H:%M:%S.%e %n: %v";

}  // namespace

void init_logging() {
  std::lock_guard lock(g_sinks_mutex);
  if (!g_sinks.empty()) return;
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_pattern(kPattern);
  g_sinks.push_back(console);
  auto logger = std::make_shared<spdlog::logger>("nmz", g_sinks.begin(), g_sinks.end());
  logger->set_level(configured_level());
  spdlog::set_default_logger(logger);
}

void add_log_file(const std::filesystem::path& path) {
  std::lock_guard lock(g_sinks_mutex);
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string());
  file->set_pattern(kPattern);
  g_sinks.push_back(file);
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) { logger->sinks().push_back(file); });
}

void set_console_raw_terminal(bool raw) {
  std::lock_guard lock(g_sinks_mutex);
  if (g_sinks.empty()) return;
  g_sinks.front()->set_formatter(
      std::make_unique<spdlog::pattern_formatter>(kPattern, spdlog::pattern_time_type::local, raw ? "\r\n" : "\n"));
}

std::shared_ptr<spdlog::logger> named_logger(const std::string& name) {
  if (auto existing = spdlog::get(name)) return existing;
  std::lock_guard lock(g_sinks_mutex);
  auto logger = std::make_shared<spdlog::logger>(name, g_sinks.begin(), g_sinks.end());
  logger->set_level(configured_level());
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get(name);  // another thread registered it first
  }
  return logger;
}

ComponentLogger::ComponentLogger(const std::string& component_name) : logger_(named_logger(component_name)) {}

void ComponentLogger::write(sdk::LogLevel level, std::string_view message) noexcept {
  HostCallbackScope host_code;
  try {
    logger_->log(to_spdlog(level), "{}", message);
  } catch (...) {
  }
}

bool ComponentLogger::enabled(sdk::LogLevel level) const noexcept {
  HostCallbackScope host_code;
  return logger_->should_log(to_spdlog(level));
}

}  // namespace nmz::core
