// SPDX-License-Identifier: Apache-2.0
#include "util/spawn.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

extern char** environ;

namespace nmz::core {

sdk::Result<pid_t> spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  if (argv.empty()) return sdk::Status::invalid("no command given");
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry = *e;
    std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& extra : extra_env) replaced = replaced || std::string_view(extra).substr(0, extra.find('=')) == name;
    if (!replaced) env_storage.emplace_back(entry);
  }
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage = argv;
  std::vector<char*> args;
  for (auto& a : argv_storage) args.push_back(a.data());
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
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], nullptr, &attr, args.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return sdk::Status::error(rc == ENOENT ? sdk::StatusCode::not_found : sdk::StatusCode::unavailable,
                              "cannot start " + argv[0] + ": " + std::strerror(rc));
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

sdk::Result<int> run_shell(const std::string& command, const std::vector<std::string>& extra_env) {
  auto pid = spawn_process({"/bin/sh", "-c", command}, extra_env);
  if (!pid) return pid.status();
  return wait_for_exit(*pid);
}

}  // namespace nmz::core
