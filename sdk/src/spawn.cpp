// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/spawn.hpp>

#include <sys/wait.h>

#include <cerrno>

#include <nmz/sdk/child_process.hpp>

namespace nmz::sdk {

Result<pid_t> spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  ChildOptions child_options;
  child_options.extra_env = options.extra_env;
  child_options.inherit_fds = options.inherit_fds;
  auto child = ChildProcess::start(argv, child_options);
  if (!child) return child.status();
  return child->detach();
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
