// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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
// a crash (fatal signal, or an exception escaping a plugin method declared
// noexcept) meanwhile is reported with `label`. Nests.
class PluginCallScope {
 public:
  explicit PluginCallScope(const PluginCallLabel& label) noexcept;
  ~PluginCallScope();
  PluginCallScope(const PluginCallScope&) = delete;
  PluginCallScope& operator=(const PluginCallScope&) = delete;

 private:
  const PluginCallLabel* previous_;
};

// "exception in plugin <label>: <what()>", for an exception caught at a
// plugin call.
std::string describe_plugin_exception(const PluginCallLabel& label, const std::exception_ptr& exception) noexcept;

// Runs `body`, a call into the plugin code that `label` names, inside a
// PluginCallScope, and catches what it throws: the SDK's component methods
// may throw (a plugin's bug), and one bad decision must not end nmz. Returns
// the exception's description, or nothing when `body` returned normally.
template <class Body>
std::optional<std::string> call_plugin(const PluginCallLabel& label, Body&& body) noexcept {
  PluginCallScope scope(label);
  try {
    std::forward<Body>(body)();
    return std::nullopt;
  } catch (...) {
    return describe_plugin_exception(label, std::current_exception());
  }
}

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
