// SPDX-License-Identifier: Apache-2.0
#include "target_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nmz::plugins::proc {
namespace {

constexpr int kOutputFlags = O_WRONLY | O_CREAT | O_APPEND;
constexpr mode_t kOutputMode = 0622;

// Opened here first so that a bad path is an error of nmz, not a child that
// dies before exec with nothing said.
sdk::Result<int> open_output(const std::string& path, const char* flag) {
  int fd = open(path.c_str(), kOutputFlags | O_CLOEXEC, kOutputMode);
  if (fd < 0) {
    return sdk::Status::invalid(std::string("nmz inspectors proc: flag ") + flag + ": cannot open \"" + path +
                                "\": " + std::strerror(errno));
  }
  return fd;
}

void write_all(int fd, const char* text) {
  for (std::size_t left = std::strlen(text); left > 0;) {
    ssize_t n = write(fd, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<std::size_t>(n);
  }
}

// The child between fork and exec: async-signal-safe calls only, since nmz
// is multi-threaded.
[[noreturn]] void exec_child(char* const* argv, int gate, int gate_other_end, int out, int err) {
  close(gate_other_end);  // or the gate would never read end-of-file
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) sigaction(signal_number, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (out >= 0) dup2(out, STDOUT_FILENO);
  if (err >= 0) dup2(err, STDERR_FILENO);
  char byte = 0;
  while (read(gate, &byte, 1) < 0 && errno == EINTR) {
  }
  execvp(argv[0], argv);
  const char* reason = strerrordesc_np(errno);
  write_all(STDERR_FILENO, "nmz inspectors proc: cannot run \"");
  write_all(STDERR_FILENO, argv[0]);
  write_all(STDERR_FILENO, "\": ");
  write_all(STDERR_FILENO, reason != nullptr ? reason : "exec failed");
  write_all(STDERR_FILENO, "\n");
  _exit(127);
}

// Closes what it holds on every path.
struct Descriptors {
  std::vector<int> fds;
  ~Descriptors() {
    for (int fd : fds) close(fd);
  }
};

}  // namespace

sdk::Result<HeldCommand> start_held_command(const std::vector<std::string>& argv, const std::string& stdout_path,
                                            const std::string& stderr_path) {
  Descriptors held;
  int out = -1;
  int err = -1;
  if (!stdout_path.empty()) {
    auto fd = open_output(stdout_path, "-stdout");
    if (!fd) return fd.status();
    held.fds.push_back(out = *fd);
  }
  if (!stderr_path.empty()) {
    if (stderr_path == stdout_path) {
      err = out;
    } else {
      auto fd = open_output(stderr_path, "-stderr");
      if (!fd) return fd.status();
      held.fds.push_back(err = *fd);
    }
  }
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) != 0) {
    return sdk::Status::error(sdk::StatusCode::internal, std::string("pipe2: ") + std::strerror(errno));
  }
  held.fds.push_back(gate[0]);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(gate[1]);
    return sdk::Status::error(sdk::StatusCode::internal, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) exec_child(args.data(), gate[0], gate[1], out, err);
  return HeldCommand{pid, gate[1]};
}

}  // namespace nmz::plugins::proc
