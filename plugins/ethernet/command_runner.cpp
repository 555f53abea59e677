// SPDX-License-Identifier: Apache-2.0
#include "command_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace nmz::plugins::ethernet {

sdk::Result<CommandResult> run_command(const std::vector<std::string>& argv, const std::string& input) {
  int pipe_fds[2];
  int input_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return sdk::Status::error(sdk::StatusCode::internal, std::string("pipe: ") + std::strerror(errno));
  }
  // A socket, not a pipe, so that writing to a child that exited early
  // fails with EPIPE (MSG_NOSIGNAL) instead of killing nmz with SIGPIPE.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, input_fds) != 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return sdk::Status::error(sdk::StatusCode::internal, std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input_fds[0], 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  sigset_t defaults;
  sigfillset(&defaults);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int error = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(pipe_fds[1]);
  close(input_fds[0]);
  if (error != 0) {
    close(input_fds[1]);
    close(pipe_fds[0]);
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              "cannot run " + argv[0] + ": " + std::strerror(error));
  }
  // Rule scripts are a few KiB, well under the pipe buffer: writing all of
  // it before reading the output cannot deadlock.
  for (std::size_t written = 0; written < input.size();) {
    ssize_t n = send(input_fds[1], input.data() + written, input.size() - written, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  close(input_fds[1]);
  CommandResult result;
  char chunk[4096];
  for (;;) {
    ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
    if (n > 0) {
      result.output.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace nmz::plugins::ethernet
