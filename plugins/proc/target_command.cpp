// SPDX-License-Identifier: Apache-2.0
#include "target_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace nmz::plugins::proc {
namespace {

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

constexpr int kOutputFlags = O_WRONLY | O_CREAT | O_APPEND;
constexpr mode_t kOutputMode = 0622;

// Opened here first so that a bad path is an error of nmz, not a child that
// dies before exec with nothing said.
sdk::Status check_output(const std::string& path, const char* flag) {
  int fd = open(path.c_str(), kOutputFlags | O_CLOEXEC, kOutputMode);
  if (fd < 0) {
    return sdk::Status::invalid(std::string("nmz inspectors proc: flag ") + flag + ": cannot open \"" + path +
                                "\": " + std::strerror(errno));
  }
  close(fd);
  return sdk::Status::ok();
}

}  // namespace

sdk::Result<pid_t> start_command(const std::vector<std::string>& argv, const std::string& stdout_path,
                                 const std::string& stderr_path) {
  SpawnSetup setup;
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&setup.attr, &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&setup.attr, &signals);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (!stdout_path.empty()) {
    if (auto status = check_output(stdout_path, "-stdout"); !status) return status;
    posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, stdout_path.c_str(), kOutputFlags, kOutputMode);
  }
  if (!stderr_path.empty()) {
    if (stderr_path == stdout_path) {
      posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
    } else {
      if (auto status = check_output(stderr_path, "-stderr"); !status) return status;
      posix_spawn_file_actions_addopen(&setup.actions, STDERR_FILENO, stderr_path.c_str(), kOutputFlags,
                                       kOutputMode);
    }
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (int error = posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), environ); error != 0) {
    return sdk::Status::error(error == ENOENT ? sdk::StatusCode::not_found : sdk::StatusCode::internal,
                              "cannot run \"" + argv[0] + "\": " + std::strerror(error));
  }
  return pid;
}

int reap_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace nmz::plugins::proc
