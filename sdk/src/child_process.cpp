// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/child_process.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

extern char** environ;

namespace nmz::sdk {
namespace {

constexpr unsigned kCloseRangeCloexec = 1U << 2;  // CLOSE_RANGE_CLOEXEC, linux/close_range.h

std::string_view name_of(std::string_view entry) { return entry.substr(0, entry.find('=')); }

OnParentDeath default_on_parent_death() {
  const char* keep = std::getenv("NMZ_KEEP_TARGETS");
  return keep != nullptr && std::string_view(keep) == "1" ? OnParentDeath::keep : OnParentDeath::kill;
}

// Storage for execvpe's arguments, built before fork: the child of a
// multi-threaded process may not allocate.
struct ExecArguments {
  std::vector<std::string> storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;

  ExecArguments(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) : storage(args) {
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view entry = *e;
      bool replaced = false;
      for (const auto& extra : extra_env) replaced = replaced || name_of(extra) == name_of(entry);
      if (!replaced) env_storage.emplace_back(entry);
    }
    env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
    for (auto& arg : storage) argv.push_back(arg.data());
    argv.push_back(nullptr);
    for (auto& entry : env_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);
  }
};

// Everything the child needs, prepared before fork. Only async-signal-safe
// calls happen after fork.
struct ChildSetup {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  int stdin_fd = -1;  // -1: keep
  int stdout_fd = -1;
  int stderr_fd = -1;
  const int* inherit = nullptr;
  std::size_t inherit_count = 0;
  int hold_fd = -1;  // read end: end of file means go
  int hold_other_end = -1;  // nmz's write end, closed here or end of file would never come
  int error_fd = -1;  // write end, close-on-exec: errno of a failed exec
  int death_signal = 0;
  pid_t parent = -1;
};

void write_all(int fd, const char* text) {
  for (std::size_t left = std::strlen(text); left > 0;) {
    ssize_t n = ::write(fd, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<std::size_t>(n);
  }
}

// Applies `flags` (0: close, kCloseRangeCloexec: mark) to every descriptor
// from 3 up except `keep` (sorted in place; small, on the caller's stack).
void close_range_except(int* keep, std::size_t count, unsigned flags) {
  std::sort(keep, keep + count);
  unsigned from = 3;
  for (std::size_t i = 0; i < count; ++i) {
    if (keep[i] < 0 || static_cast<unsigned>(keep[i]) < from) continue;
    if (static_cast<unsigned>(keep[i]) > from) ::syscall(SYS_close_range, from, static_cast<unsigned>(keep[i]) - 1, flags);
    from = static_cast<unsigned>(keep[i]) + 1;
  }
  ::syscall(SYS_close_range, from, ~0U, flags);
}

void reset_signals() {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) ::sigaction(signal_number, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void redirect_stdio(const ChildSetup& setup) {
  if (setup.stdin_fd >= 0) ::dup2(setup.stdin_fd, STDIN_FILENO);
  if (setup.stdout_fd >= 0) ::dup2(setup.stdout_fd, STDOUT_FILENO);
  if (setup.stderr_fd >= 0) ::dup2(setup.stderr_fd, STDERR_FILENO);
}

[[noreturn]] void exec_command(const ChildSetup& setup) {
  if (setup.death_signal != 0) {
    ::prctl(PR_SET_PDEATHSIG, setup.death_signal);
    if (::getppid() != setup.parent) _exit(128 + setup.death_signal);  // nmz died before prctl
  }
  reset_signals();
  redirect_stdio(setup);
  int keep[64];
  std::size_t count = std::min<std::size_t>(setup.inherit_count, 64);
  std::copy(setup.inherit, setup.inherit + count, keep);
  close_range_except(keep, count, kCloseRangeCloexec);
  // dup2 onto itself does not clear close-on-exec; fcntl does.
  for (std::size_t i = 0; i < count; ++i) ::fcntl(keep[i], F_SETFD, 0);
  if (setup.hold_fd >= 0) {
    if (setup.hold_other_end >= 0) ::close(setup.hold_other_end);
    char byte = 0;
    while (::read(setup.hold_fd, &byte, 1) < 0 && errno == EINTR) {
    }
  }
  ::execvpe(setup.argv[0], setup.argv, setup.envp);
  int error = errno;
  if (setup.hold_fd >= 0 || setup.error_fd < 0) {
    const char* reason = strerrordesc_np(error);
    write_all(STDERR_FILENO, "nmz: cannot run \"");
    write_all(STDERR_FILENO, setup.argv[0]);
    write_all(STDERR_FILENO, "\": ");
    write_all(STDERR_FILENO, reason != nullptr ? reason : "exec failed");
    write_all(STDERR_FILENO, "\n");
  } else {
    while (::write(setup.error_fd, &error, sizeof error) < 0 && errno == EINTR) {
    }
  }
  _exit(127);
}

int shell_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd ready{fd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&ready, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

// The supervisor of a kill_group child: a process group of its own, the
// command in it, and nmz's death (end of file on `alive_fd`) turned into
// the end of the whole group.
[[noreturn]] void supervise(ChildSetup setup, int alive_fd, int grace_ms, char* const* after_death) {
  ::setpgid(0, 0);
  redirect_stdio(setup);
  setup.stdin_fd = setup.stdout_fd = setup.stderr_fd = -1;
  int keep[68];
  std::size_t count = std::min<std::size_t>(setup.inherit_count, 64);
  std::copy(setup.inherit, setup.inherit + count, keep);
  keep[count++] = alive_fd;
  keep[count++] = setup.hold_fd;
  keep[count++] = setup.error_fd;
  // The supervisor never execs: close, not just mark, or it would hold
  // nmz's locks and sockets for as long as the command runs.
  close_range_except(keep, count, 0);
  setup.death_signal = 0;
  pid_t command = ::fork();
  if (command < 0) _exit(127);
  if (command == 0) {
    ::close(alive_fd);
    exec_command(setup);
  }
  if (setup.hold_fd >= 0) ::close(setup.hold_fd);
  if (setup.error_fd >= 0) ::close(setup.error_fd);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGTERM, &ignore, nullptr);
  ::sigaction(SIGINT, &ignore, nullptr);
  ::sigaction(SIGHUP, &ignore, nullptr);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, command, 0));
  pollfd watched[2] = {{pidfd, POLLIN, 0}, {alive_fd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(watched, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || watched[0].revents != 0) {
      int status = 0;
      while (::waitpid(command, &status, 0) < 0 && errno == EINTR) {
      }
      _exit(shell_status(status));
    }
    if (watched[1].revents != 0) break;
  }
  ::kill(-::getpid(), SIGTERM);
  wait_readable(pidfd, grace_ms);
  if (after_death != nullptr && after_death[0] != nullptr) {
    pid_t cleaner = ::fork();
    if (cleaner == 0) {
      ::setpgid(0, 0);
      reset_signals();
      close_range_except(keep, 0, 0);
      ::execvp(after_death[0], after_death);
      _exit(127);
    }
    // Here too, before the group is killed: the cleaner may not have run yet.
    if (cleaner > 0) ::setpgid(cleaner, cleaner);
  }
  ::kill(-::getpid(), SIGKILL);
  _exit(137);
}

Status start_error(const std::string& command, int error) {
  return Status::error(error == ENOENT ? StatusCode::not_found : StatusCode::unavailable,
                       "cannot run \"" + command + "\": " + std::strerror(error));
}

// Closes what it holds on every path.
struct Descriptors {
  std::vector<int> fds;
  int add(int fd) {
    fds.push_back(fd);
    return fd;
  }
  ~Descriptors() {
    for (int fd : fds) ::close(fd);
  }
};

sdk::Result<int> open_output(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0622);
  if (fd < 0) return Status::invalid("cannot open \"" + path + "\": " + std::strerror(errno));
  return fd;
}

void send_all(int fd, const std::string& input) {
  for (std::size_t written = 0; written < input.size();) {
    ssize_t n = ::send(fd, input.data() + written, input.size() - written, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the child stopped reading: what it does with less is its business
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace

Result<ChildProcess> ChildProcess::start(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) return Status::invalid("no command given");
  if (options.inherit_fds.size() > 64) return Status::invalid("more than 64 descriptors to inherit");
  Descriptors child_side;  // closed in nmz once the child has its copies
  Descriptors ours;  // closed in nmz on failure
  ChildSetup setup;
  int input_fd = -1;
  if (options.input) {
    int pair[2];
    // A socket, not a pipe, so that writing to a child that exited early
    // fails with EPIPE (MSG_NOSIGNAL) instead of killing nmz with SIGPIPE.
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return start_error(argv[0], errno);
    setup.stdin_fd = child_side.add(pair[0]);
    input_fd = ours.add(pair[1]);
  }
  int output_fd = -1;
  if (options.capture_output) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return start_error(argv[0], errno);
    output_fd = ours.add(pipe_fds[0]);
    setup.stdout_fd = setup.stderr_fd = child_side.add(pipe_fds[1]);
  } else {
    if (!options.stdout_path.empty()) {
      auto fd = open_output(options.stdout_path);
      if (!fd) return fd.status();
      setup.stdout_fd = child_side.add(*fd);
    }
    if (!options.stderr_path.empty()) {
      if (options.stderr_path == options.stdout_path) {
        setup.stderr_fd = setup.stdout_fd;
      } else {
        auto fd = open_output(options.stderr_path);
        if (!fd) return fd.status();
        setup.stderr_fd = child_side.add(*fd);
      }
    }
  }
  int hold_write = -1;
  if (options.hold_before_exec) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return start_error(argv[0], errno);
    setup.hold_fd = child_side.add(pipe_fds[0]);
    setup.hold_other_end = hold_write = ours.add(pipe_fds[1]);
  }
  int error_read = -1;
  if (!options.hold_before_exec) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return start_error(argv[0], errno);
    error_read = ours.add(pipe_fds[0]);
    setup.error_fd = child_side.add(pipe_fds[1]);
  }
  const OnParentDeath on_death = options.on_parent_death.value_or(default_on_parent_death());
  int alive_read = -1;
  int alive_write = -1;
  if (on_death == OnParentDeath::kill_group) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return start_error(argv[0], errno);
    alive_read = child_side.add(pipe_fds[0]);
    alive_write = ours.add(pipe_fds[1]);
  }
  ExecArguments exec_args(argv, options.extra_env);
  ExecArguments after_death(options.after_parent_death, {});
  setup.argv = exec_args.argv.data();
  setup.envp = exec_args.envp.data();
  setup.inherit = options.inherit_fds.data();
  setup.inherit_count = options.inherit_fds.size();
  setup.death_signal = on_death == OnParentDeath::kill ? SIGKILL : 0;
  setup.parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return start_error(argv[0], errno);
  if (pid == 0) {
    if (on_death == OnParentDeath::kill_group) {
      supervise(setup, alive_read, static_cast<int>(options.parent_death_grace.count()), after_death.argv.data());
    }
    exec_command(setup);
  }
  ChildProcess child;
  child.pid_ = pid;
  if (on_death == OnParentDeath::kill_group) {
    ::setpgid(pid, pid);  // also done by the child: whichever runs first
    child.group_ = pid;
  }
  // Our copies of the child's ends go now: the error pipe reads end of
  // file only once no writer is left.
  {
    Descriptors closing;
    closing.fds.swap(child_side.fds);
  }
  ours.fds.clear();  // from here on `child` owns them
  child.hold_fd_ = hold_write;
  child.parent_alive_fd_ = alive_write;
  child.output_fd_ = output_fd;
  if (error_read >= 0) {
    int error = 0;
    ssize_t n;
    while ((n = ::read(error_read, &error, sizeof error)) < 0 && errno == EINTR) {
    }
    ::close(error_read);
    if (n == static_cast<ssize_t>(sizeof error)) {
      if (input_fd >= 0) ::close(input_fd);
      child.wait();
      return start_error(argv[0], error);
    }
  }
  child.pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (input_fd >= 0) {
    send_all(input_fd, *options.input);
    ::close(input_fd);
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) terminate(std::chrono::milliseconds(0));
    close_descriptors();
    pid_ = std::exchange(other.pid_, -1);
    group_ = std::exchange(other.group_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    hold_fd_ = std::exchange(other.hold_fd_, -1);
    parent_alive_fd_ = std::exchange(other.parent_alive_fd_, -1);
    output_fd_ = std::exchange(other.output_fd_, -1);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) terminate(std::chrono::milliseconds(0));
  close_descriptors();
}

void ChildProcess::close_descriptors() noexcept {
  for (int* fd : {&pidfd_, &hold_fd_, &parent_alive_fd_, &output_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void ChildProcess::release() noexcept {
  if (hold_fd_ >= 0) ::close(hold_fd_);
  hold_fd_ = -1;
}

void ChildProcess::signal(int signal_number) const noexcept {
  if (pid_ <= 0) return;
  ::kill(group_ > 0 ? -group_ : pid_, signal_number);
}

ChildExit ChildProcess::wait() {
  ChildExit result;
  if (pid_ <= 0) return result;
  release();
  int status = 0;
  rusage usage{};
  while (::wait4(pid_, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      pid_ = -1;
      return result;
    }
  }
  pid_ = -1;
  close_descriptors();
  result.status = shell_status(status);
  result.cpu_ms = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  return result;
}

std::optional<ChildExit> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  if (pid_ > 0 && pidfd_ >= 0 && !wait_readable(pidfd_, static_cast<int>(timeout.count()))) return std::nullopt;
  return wait();
}

ChildExit ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return {};
  release();
  signal(SIGTERM);
  if (pidfd_ < 0 || !wait_readable(pidfd_, static_cast<int>(grace.count()))) signal(SIGKILL);
  return wait();
}

std::pair<ChildExit, std::string> ChildProcess::wait_with_output() {
  std::string output;
  char chunk[4096];
  while (output_fd_ >= 0) {
    ssize_t n = ::read(output_fd_, chunk, sizeof chunk);
    if (n > 0) {
      output.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return {wait(), std::move(output)};
}

pid_t ChildProcess::detach() noexcept {
  release();
  for (int* fd : {&pidfd_, &output_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  // A kill_group supervisor must go on seeing nmz alive: its descriptor
  // stays open (close-on-exec) for as long as nmz lives.
  parent_alive_fd_ = -1;
  return std::exchange(pid_, -1);
}

}  // namespace nmz::sdk
