// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "plugin/loaded_library.hpp"

namespace nmz::core {

// "policy \"random\" (/usr/lib/nmz/plugins/nmz-random.so), call queue_event":
// formatted once, when the component is created, so that a fatal-signal
// handler can print it without allocating.
class PluginCallLabel {
 public:
  PluginCallLabel() = default;
  PluginCallLabel(std::string_view kind, std::string_view component, const std::filesystem::path& library,
                  std::string_view call);
  [[nodiscard]] const char* text() const noexcept { return text_; }

 private:
  char text_[512] = "";
};

template <class T>
PluginCallLabel call_label(std::string_view kind, const PluginObject<T>& component, std::string_view call) {
  return PluginCallLabel(kind, component.name, component.library ? component.library->path : std::filesystem::path(),
                         call);
}

// Marks the calling thread as being inside a plugin call for its lifetime:
// a crash (fatal signal, or an exception escaping a noexcept plugin method)
// meanwhile is reported with `label`. Nests.
class PluginCallScope {
 public:
  explicit PluginCallScope(const PluginCallLabel& label) noexcept;
  ~PluginCallScope();
  PluginCallScope(const PluginCallScope&) = delete;
  PluginCallScope& operator=(const PluginCallScope&) = delete;

 private:
  const PluginCallLabel* previous_;
};

// Installs, once per process, the handlers for SIGSEGV, SIGBUS, SIGFPE,
// SIGILL and SIGABRT and the std::terminate handler. They write to stderr
// which plugin call was running (or that none was) and the escaping
// exception's message, write the crash record if one is set, and let the
// signal kill the process as it would have (core dump included).
void install_plugin_crash_report();

// A file the crash report writes when the process dies of one of those
// signals: `before` + the reason as a JSON string body + `after`, written to
// a temporary file and renamed onto `path`. `nmz run` sets its result.json,
// so that a run whose policy crashed is recorded as broken with the reason.
// The strings are copied; call clear_crash_record() before they go stale.
void set_crash_record(const std::filesystem::path& path, std::string before, std::string after);
void clear_crash_record();

}  // namespace nmz::core
