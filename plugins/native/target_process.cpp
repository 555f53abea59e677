// SPDX-License-Identifier: Apache-2.0
#include "target_process.hpp"

#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>

extern char** environ;

namespace nmz::native {

sdk::Result<pid_t> start_target(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                                int inherit_fd) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry = *e;
    std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& extra : extra_env) replaced = replaced || std::string_view(extra).substr(0, extra.find('=')) == name;
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_storage = argv;
  std::vector<char*> args;
  for (auto& a : args_storage) args.push_back(a.data());
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
  posix_spawn_file_actions_adddup2(&actions, inherit_fd, inherit_fd);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return sdk::Status::error(rc == ENOENT ? sdk::StatusCode::not_found : sdk::StatusCode::unavailable,
                              "cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return pid;
}

TargetExit wait_target(pid_t pid, int stop_fd, int grace_ms) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  bool stopping = false;
  while (pidfd >= 0) {
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int ready = poll(fds, stopping ? 1 : 2, stopping ? grace_ms : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[0].revents & POLLIN) != 0) break;
    if (stopping) {
      kill(pid, SIGKILL);
      break;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      stopping = true;
      kill(pid, SIGTERM);
    }
  }
  if (pidfd >= 0) close(pidfd);
  int status = 0;
  rusage usage{};
  TargetExit result;
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) return result;
  }
  result.cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                  (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.status = 128 + WTERMSIG(status);
  return result;
}

}  // namespace nmz::native
