// SPDX-License-Identifier: Apache-2.0
#include "plugin/plugin_call.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
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

// Initial-exec: reading them in a signal handler must not allocate.
thread_local detail::PluginCallFrame* current_frame __attribute__((tls_model("initial-exec"))) = nullptr;
thread_local bool signal_stack_checked __attribute__((tls_model("initial-exec"))) = false;

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
  const detail::PluginCallFrame* frame = current_frame;
  std::size_t used = 0;
  auto append = [&](const char* text) {
    for (; *text != '\0' && used + 1 < size; ++text) out[used++] = *text;
    out[used] = '\0';
  };
  append(signal_name(signal_number));
  if (frame != nullptr && frame->host_callback && frame->label != nullptr) {
    append(" in nmz, called back by plugin ");
    append(frame->label->text());
  } else if (frame != nullptr && frame->label != nullptr) {
    append(" in plugin ");
    append(frame->label->text());
  } else {
    append(" outside any call into a plugin (in nmz, or on a thread a plugin started)");
  }
  if (exception_recorded.load()) {
    append(": uncaught exception: ");
    append(exception_text);
  }
}

// Raised by the code the thread was running: a fault (the kernel's, si_code
// > 0), or abort()/raise() on this thread. Not a kill(1) from outside, which
// any thread may happen to receive.
bool raised_by_this_thread(const siginfo_t* info) noexcept {
  return info->si_code > 0 || (info->si_code == SI_TKILL && info->si_pid == ::getpid());
}

void on_fatal_signal(int signal_number, siginfo_t* info, void*) {
  // Inside call_plugin, and not in host code the plugin called back: the
  // frames between call_plugin and here are the plugin's, abandoned as a
  // whole. Not after std::terminate: the C++ runtime is mid-exception.
  if (detail::PluginCallFrame* frame = current_frame;
      frame != nullptr && frame->recovery != nullptr && raised_by_this_thread(info) && !exception_recorded.load()) {
    frame->signal_number = signal_number;
    ::siglongjmp(*frame->recovery, 1);
  }
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

// Lets the handler run when the plugin overflowed its thread's stack. Kept
// when the thread has one already (ASan's, which its runtime unmaps when
// the thread ends).
class SignalStack {
 public:
  SignalStack() noexcept {
    stack_t current{};
    if (::sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0) return;
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* mapping = ::mmap(nullptr, kSize + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) return;
    // The lowest page stays inaccessible: a handler that overflows this
    // stack faults instead of writing over what lies below.
    ::mprotect(mapping, page, PROT_NONE);
    stack_t stack{};
    stack.ss_sp = static_cast<char*>(mapping) + page;
    stack.ss_size = kSize;
    if (::sigaltstack(&stack, nullptr) != 0) {
      ::munmap(mapping, kSize + page);
      return;
    }
    mapping_ = mapping;
    mapping_size_ = kSize + page;
    stack_ = stack.ss_sp;
  }
  ~SignalStack() {
    if (mapping_ == nullptr) return;
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && current.ss_sp == stack_) {
      stack_t disabled{};
      disabled.ss_flags = SS_DISABLE;
      ::sigaltstack(&disabled, nullptr);
    }
    ::munmap(mapping_, mapping_size_);
  }
  SignalStack(const SignalStack&) = delete;
  SignalStack& operator=(const SignalStack&) = delete;

 private:
  static constexpr std::size_t kSize = 64 * 1024;
  void* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  void* stack_ = nullptr;
};

// Once per thread that calls a plugin; out of line, as its thread_local has
// a destructor to register.
__attribute__((noinline)) void install_signal_stack() noexcept {
  thread_local SignalStack stack;
  signal_stack_checked = true;
}

const char* label_text(const detail::PluginCallFrame& frame) noexcept {
  return frame.label != nullptr ? frame.label->text() : "";
}

// Components whose plugin call crashed: never destroyed, nor their
// libraries unloaded (keep_crashed_component). A leaked container, so that
// they are reachable (no leak report) and not destroyed at exit either.
struct CrashedComponents {
  std::mutex mutex;
  std::vector<std::pair<std::shared_ptr<const LoadedLibrary>, const void*>> kept;
};
CrashedComponents& crashed_components() {
  static auto* components = new CrashedComponents;
  return *components;
}

}  // namespace

PluginCallLabel::PluginCallLabel(std::string_view kind, std::string_view component,
                                 const std::filesystem::path& library, std::string_view call) {
  std::snprintf(text_, sizeof text_, "%.*s \"%.*s\" (%s), call %.*s", static_cast<int>(kind.size()), kind.data(),
                static_cast<int>(component.size()), component.data(), library.c_str(), static_cast<int>(call.size()),
                call.data());
}

PluginCallScope::PluginCallScope(const PluginCallLabel* label, sigjmp_buf* recovery, bool host_callback) noexcept {
  frame_.label = label;
  frame_.recovery = recovery;
  frame_.host_callback = host_callback;
  frame_.enclosing = current_frame;
  current_frame = &frame_;
}

PluginCallScope::~PluginCallScope() { current_frame = frame_.enclosing; }

HostCallbackScope::HostCallbackScope() noexcept
    : PluginCallScope(current_frame != nullptr ? current_frame->label : nullptr, nullptr, true) {}

RecoverablePluginCall::RecoverablePluginCall(const PluginCallLabel& label) noexcept
    : PluginCallScope(&label, &recovery_, false) {
  if (!signal_stack_checked) install_signal_stack();
}

PluginCallFailure RecoverablePluginCall::crash() const noexcept {
  try {
    return {std::string(signal_name(frame_.signal_number)) + " in plugin " + label_text(frame_), true};
  } catch (...) {
    return {{}, true};
  }
}

PluginCallFailure RecoverablePluginCall::exception(const std::exception_ptr& exception) const noexcept {
  try {
    return {std::string("exception in plugin ") + label_text(frame_) + ": " + exception_message(exception), false};
  } catch (...) {
    return {{}, false};
  }
}

void keep_crashed_component(std::shared_ptr<const LoadedLibrary> library, const void* object) {
  CrashedComponents& components = crashed_components();
  std::lock_guard lock(components.mutex);
  components.kept.emplace_back(std::move(library), object);
}

void install_plugin_crash_report() {
  for (int signal_number : kFatalSignals) {
    struct sigaction action {};
    action.sa_sigaction = on_fatal_signal;
    // An empty sa_mask and SA_NODEFER: the handler runs with the mask of
    // the code it interrupted, which call_plugin keeps (see there). It
    // stays installed: a recovered crash may be followed by another.
    ::sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    ::sigaction(signal_number, &action, nullptr);
  }
  std::set_terminate(on_terminate);
}

void set_crash_record(const std::filesystem::path& path, std::string before, std::string after) {
  std::lock_guard lock(records_mutex);
  records.push_back(std::make_unique<CrashRecord>(
      CrashRecord{path.string(), path.string() + ".crash.tmp", std::move(before), std::move(after)}));
  crash_record.store(records.back().get());
}

void clear_crash_record() { crash_record.store(nullptr); }

}  // namespace nmz::core
