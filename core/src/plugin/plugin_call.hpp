// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <setjmp.h>
#include <signal.h>

#include <exception>
#include <filesystem>
#include <memory>
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

namespace detail {

// One level of a thread's nesting of plugin calls and of host code that
// plugins call back; the fatal-signal handler reads the innermost one.
struct PluginCallFrame {
  // The plugin call this frame is, or (host_callback) is called back from;
  // null for host code called back from no plugin call (a plugin's own thread).
  const PluginCallLabel* label = nullptr;
  // Where a fatal signal raised by this plugin call returns to; null: the
  // signal is reported and fatal.
  sigjmp_buf* recovery = nullptr;
  bool host_callback = false;
  PluginCallFrame* enclosing = nullptr;
  // The signal that returned to `recovery`.
  volatile sig_atomic_t signal_number = 0;
};

}  // namespace detail

// Marks the calling thread as being inside a plugin call for its lifetime:
// a crash (fatal signal, or an exception escaping a plugin method declared
// noexcept) meanwhile is reported with `label`, and is fatal. Nests.
class PluginCallScope {
 public:
  explicit PluginCallScope(const PluginCallLabel& label) noexcept : PluginCallScope(&label, nullptr, false) {}
  ~PluginCallScope();
  PluginCallScope(const PluginCallScope&) = delete;
  PluginCallScope& operator=(const PluginCallScope&) = delete;

 protected:
  PluginCallScope(const PluginCallLabel* label, sigjmp_buf* recovery, bool host_callback) noexcept;
  detail::PluginCallFrame frame_;
};

// Marks host code that plugin code calls (the SDK interfaces nmz
// implements: ActionSink::emit, InspectorHost::submit, Logger): a fatal
// signal there is nmz's own, raised perhaps with a lock of nmz's held, so it
// is reported and fatal even inside a recoverable plugin call.
class HostCallbackScope : private PluginCallScope {
 public:
  HostCallbackScope() noexcept;
};

// What a plugin call ended with, when it did not return.
struct PluginCallFailure {
  // "exception in plugin <label>: <what()>", or "SIGSEGV in plugin <label>".
  std::string reason;
  // A fatal signal (not an exception): the plugin's frames were abandoned,
  // not unwound, so what they held (its locks, its memory) stays held. Call
  // the component no more, not even its stop() or destructor: keep it
  // (keep_crashed_component).
  bool crashed = false;
};

// The recoverable frame of call_plugin. Not a function of its own around
// sigsetjmp: sigsetjmp must run in the frame that siglongjmp returns to.
class RecoverablePluginCall : private PluginCallScope {
 public:
  explicit RecoverablePluginCall(const PluginCallLabel& label) noexcept;
  sigjmp_buf& recovery() noexcept { return recovery_; }
  // After the handler returned to recovery(): "SIGSEGV in plugin <label>".
  [[nodiscard]] PluginCallFailure crash() const noexcept;
  [[nodiscard]] PluginCallFailure exception(const std::exception_ptr& exception) const noexcept;

 private:
  sigjmp_buf recovery_;
};

// Runs `body`, a call into the plugin code that `label` names, and returns
// how it failed, or nothing when it returned normally. One bad decision must
// not end nmz: an exception out of `body` (the SDK's component methods may
// throw) is caught, and a fatal signal that the plugin code raises on this
// thread (SIGSEGV, SIGBUS, SIGFPE, SIGILL, or SIGABRT from abort() or a
// failed assert) returns here, once install_plugin_crash_report() ran.
// Without unwinding: see PluginCallFailure::crashed. A signal raised in host
// code that `body` calls back (HostCallbackScope), or one that
// std::terminate raised, stays fatal.
template <class Body>
std::optional<PluginCallFailure> call_plugin(const PluginCallLabel& label, Body&& body) noexcept {
  RecoverablePluginCall call(label);
  // No signal mask saved (a system call per plugin call): the handler runs
  // with the mask of the code it interrupted (SA_NODEFER, empty sa_mask),
  // which returning here therefore keeps.
  if (sigsetjmp(call.recovery(), 0) != 0) return call.crash();
  try {
    std::forward<Body>(body)();
    return std::nullopt;
  } catch (...) {
    return call.exception(std::current_exception());
  }
}

// Keeps a component whose plugin call crashed (PluginCallFailure::crashed),
// and its library, loaded and reachable until the process ends: its
// destructor is plugin code, which could wait for what the crashed call
// holds, and its threads may still run the library's code.
void keep_crashed_component(std::shared_ptr<const LoadedLibrary> library, const void* object);
template <class T>
void keep_crashed_component(PluginObject<T>&& component) {
  keep_crashed_component(std::move(component.library), component.object.release());
}

// Installs (again, if something replaced them: a test framework does) the
// handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT and the
// std::terminate handler. A signal raised by
// plugin code inside call_plugin returns there; any other one is reported:
// they write to stderr which plugin call was running (or that none was) and
// the escaping exception's message, write the crash record if one is set,
// and let the signal kill the process as it would have (core dump included).
void install_plugin_crash_report();

// A file the crash report writes when the process dies of one of those
// signals: `before` + the reason as a JSON string body + `after`, written to
// a temporary file and renamed onto `path`. `nmz run` sets its result.json,
// so that a run whose policy crashed is recorded as broken with the reason.
// The strings are copied; call clear_crash_record() before they go stale.
void set_crash_record(const std::filesystem::path& path, std::string before, std::string after);
void clear_crash_record();

}  // namespace nmz::core
