// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/spawn.hpp>

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>

extern char** environ;

namespace nmz::sdk {
namespace {

std::string_view name_of(std::string_view entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

Result<pid_t> spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) return Status::invalid("no command given");
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry = *e;
    bool replaced = false;
    for (const auto& extra : options.extra_env) replaced = replaced || name_of(extra) == name_of(entry);
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), options.extra_env.begin(), options.extra_env.end());
  std::vector<char*> envp;
  for (auto& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_storage = argv;
  std::vector<char*> args;
  for (auto& arg : args_storage) args.push_back(arg.data());
  args.push_back(nullptr);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigset_t all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 onto itself clears close-on-exec (glibc 2.29 and later).
  for (int fd : options.inherit_fds) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Status::error(rc == ENOENT ? StatusCode::not_found : StatusCode::unavailable,
                         "cannot run \"" + argv[0] + "\": " + std::strerror(rc));
  }
  return pid;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

}  // namespace nmz::sdk
