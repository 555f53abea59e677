// SPDX-License-Identifier: Apache-2.0
#include "plugin/plugin_call.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nmz::core {

namespace {

// Initial-exec: reading it in a signal handler must not allocate.
thread_local const PluginCallLabel* current_call __attribute__((tls_model("initial-exec"))) = nullptr;

// What the terminate handler learnt about the exception, for the SIGABRT
// report that follows. Written once, by the first thread that terminates.
char exception_text[512] = "";
std::atomic<bool> exception_recorded{false};

struct CrashRecord {
  std::string path;
  std::string temporary;
  std::string before;
  std::string after;
};
std::atomic<const CrashRecord*> crash_record{nullptr};
// Replaced records are kept until exit: a handler may be reading one.
std::mutex records_mutex;
std::vector<std::unique_ptr<CrashRecord>> records;

void write_all(int fd, const char* text, std::size_t size) noexcept {
  while (size > 0) {
    ssize_t n = ::write(fd, text, size);
    if (n <= 0) return;
    text += n;
    size -= static_cast<std::size_t>(n);
  }
}

void write_text(int fd, const char* text) noexcept { write_all(fd, text, std::strlen(text)); }

// The body of a JSON string, without allocating.
void write_json_escaped(int fd, const char* text) noexcept {
  for (const char* p = text; *p != '\0'; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\') {
      const char pair[2] = {'\\', static_cast<char>(c)};
      write_all(fd, pair, 2);
    } else if (c < 0x20) {
      write_all(fd, " ", 1);
    } else {
      write_all(fd, p, 1);
    }
  }
}

const char* signal_name(int signal_number) noexcept {
  switch (signal_number) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    default: return "a fatal signal";
  }
}

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

// Builds the one-line reason in `out` (async-signal-safe: fixed buffers).
void format_reason(char* out, std::size_t size, int signal_number) noexcept {
  const PluginCallLabel* call = current_call;
  std::size_t used = 0;
  auto append = [&](const char* text) {
    for (; *text != '\0' && used + 1 < size; ++text) out[used++] = *text;
    out[used] = '\0';
  };
  append(signal_name(signal_number));
  if (call != nullptr) {
    append(" in plugin ");
    append(call->text());
  } else {
    append(" outside any call into a plugin (in nmz, or on a thread a plugin started)");
  }
  if (exception_recorded.load()) {
    append(": uncaught exception: ");
    append(exception_text);
  }
}

void on_fatal_signal(int signal_number) {
  static std::atomic<bool> reporting{false};
  if (!reporting.exchange(true)) {
    char reason[1200];
    format_reason(reason, sizeof reason, signal_number);
    write_text(STDERR_FILENO, "nmz: fatal: ");
    write_text(STDERR_FILENO, reason);
    write_text(STDERR_FILENO, "\n");
    if (const CrashRecord* record = crash_record.load(); record != nullptr) {
      int fd = ::open(record->temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) {
        write_all(fd, record->before.data(), record->before.size());
        write_json_escaped(fd, reason);
        write_all(fd, record->after.data(), record->after.size());
        ::fsync(fd);
        ::close(fd);
        ::rename(record->temporary.c_str(), record->path.c_str());
      }
    }
  }
  // Die of the signal, as without this handler: the parent sees it.
  ::signal(signal_number, SIG_DFL);
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, signal_number);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(signal_number);
}

std::string exception_message(const std::exception_ptr& exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

[[noreturn]] void on_terminate() {
  if (!exception_recorded.load()) {
    const auto exception = std::current_exception();
    const std::string what = exception ? exception_message(exception) : "std::terminate without an exception";
    std::snprintf(exception_text, sizeof exception_text, "%s", what.c_str());
    exception_recorded = true;
  }
  std::abort();
}

}  // namespace

PluginCallLabel::PluginCallLabel(std::string_view kind, std::string_view component,
                                 const std::filesystem::path& library, std::string_view call) {
  std::snprintf(text_, sizeof text_, "%.*s \"%.*s\" (%s), call %.*s", static_cast<int>(kind.size()), kind.data(),
                static_cast<int>(component.size()), component.data(), library.c_str(), static_cast<int>(call.size()),
                call.data());
}

std::string describe_plugin_exception(const PluginCallLabel& label, const std::exception_ptr& exception) noexcept {
  return std::string("exception in plugin ") + label.text() + ": " + exception_message(exception);
}

PluginCallScope::PluginCallScope(const PluginCallLabel& label) noexcept : previous_(current_call) {
  current_call = &label;
}

PluginCallScope::~PluginCallScope() { current_call = previous_; }

void install_plugin_crash_report() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int signal_number : kFatalSignals) {
      struct sigaction action {};
      action.sa_handler = on_fatal_signal;
      ::sigemptyset(&action.sa_mask);
      action.sa_flags = SA_RESETHAND | SA_NODEFER;
      ::sigaction(signal_number, &action, nullptr);
    }
    std::set_terminate(on_terminate);
  });
}

void set_crash_record(const std::filesystem::path& path, std::string before, std::string after) {
  std::lock_guard lock(records_mutex);
  records.push_back(std::make_unique<CrashRecord>(
      CrashRecord{path.string(), path.string() + ".crash.tmp", std::move(before), std::move(after)}));
  crash_record.store(records.back().get());
}

void clear_crash_record() { crash_record.store(nullptr); }

}  // namespace nmz::core
