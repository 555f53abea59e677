// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

// The one way nmz and its plugins start a process: the command an inspector
// wraps (`nmz inspectors X -- CMD`), the experiment's scripts, helper tools
// (iptables-restore). Every child starts with an empty signal mask and
// default dispositions (the host blocks SIGINT, SIGTERM and SIGHUP in its
// threads), and with no descriptor of nmz but stdin/stdout/stderr and
// `inherit_fds` (libfuse's auto_unmount socket, lock files, the REST
// socket: a child holding one would keep a mount or a lock alive after nmz
// died).
namespace nmz::sdk {

// What happens to a child when the nmz process that started it dies,
// SIGKILL included.
enum class OnParentDeath {
  // The child gets SIGKILL (PR_SET_PDEATHSIG). Its own children are not
  // reached. The default, unless NMZ_KEEP_TARGETS=1 is in nmz's environment.
  kill,
  // The child runs in a new process group under a small supervising
  // process. When nmz dies the supervisor sends the group SIGTERM, SIGKILL
  // `parent_death_grace` later, and starts `after_parent_death` (if any)
  // in a process group of its own. pid() is the supervisor's; its exit
  // status is the command's. signal() and terminate() reach the group.
  kill_group,
  // The child outlives nmz (and is reparented).
  keep,
};

struct ChildOptions {
  // "NAME=value" entries added to nmz's environment, replacing those of the
  // same name.
  std::vector<std::string> extra_env;
  // Descriptors the command keeps across exec even if they are
  // close-on-exec (a pipe or socket the inspector talks to it through).
  std::vector<int> inherit_fds;
  // Written to the command's stdin, which is then closed. Unset: stdin is
  // nmz's own.
  std::optional<std::string> input;
  // stdout and stderr together, returned by wait_with_output(); unset:
  // nmz's own, or the files below.
  bool capture_output = false;
  // Files stdout / stderr are appended to (created with mode 0622, like
  // Namazu); the same path for both shares one descriptor. Opened before
  // the child is created, so a bad path is an error of start().
  std::string stdout_path;
  std::string stderr_path;
  // The child is created but waits before exec until release() (or the
  // ChildProcess is destroyed): an inspector can prepare for it first (the
  // proc inspector applies its first decision to the very first
  // instruction). A failing exec is then reported by the child itself on
  // stderr, exit status 127.
  bool hold_before_exec = false;
  std::optional<OnParentDeath> on_parent_death;  // unset: the default above
  std::chrono::milliseconds parent_death_grace{2000};
  // kill_group only: argv run by the supervisor once the group is killed.
  std::vector<std::string> after_parent_death;
};

struct ChildExit {
  int status = 127;  // shell-style: the exit code, or 128 + the signal that killed it
  double cpu_ms = 0;  // user + system time of the child and its waited-for children
};

// A started child, reaped at the latest by the destructor (which
// terminates it with no grace if it still runs). Movable, not copyable.
// Thread: one owner thread at a time; with OnParentDeath::kill, the
// *thread* that called start() must outlive the child (the kernel sends
// the death signal when that thread ends).
class ChildProcess {
 public:
  // Errors name the command: not_found when it does not exist, unavailable
  // for other failures, invalid_argument for an empty argv or an output
  // file that cannot be opened.
  static Result<ChildProcess> start(const std::vector<std::string>& argv, const ChildOptions& options = {});
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  // Readable once the process has exited; -1 after it was reaped.
  [[nodiscard]] int pidfd() const noexcept { return pidfd_; }
  // Lets a held child exec. Does nothing otherwise.
  void release() noexcept;
  // Sends `signal_number` to the child (to its whole group with
  // kill_group). Does nothing once it was reaped.
  void signal(int signal_number) const noexcept;
  // Blocks until it exits, then reaps it.
  ChildExit wait();
  // Waits at most `timeout`; nullopt (and still running) when it did not
  // exit in time.
  std::optional<ChildExit> wait_for(std::chrono::milliseconds timeout);
  // SIGTERM, SIGKILL after `grace` if it has not exited; reaps it.
  ChildExit terminate(std::chrono::milliseconds grace);
  // wait(), collecting what the child wrote (capture_output) meanwhile.
  std::pair<ChildExit, std::string> wait_with_output();
  // Gives up ownership (releasing a held child): the caller waits for
  // pid() itself (waitpid).
  pid_t detach() noexcept;

 private:
  ChildProcess() = default;
  void close_descriptors() noexcept;
  pid_t pid_ = -1;
  pid_t group_ = -1;  // the group signals go to, kill_group only
  int pidfd_ = -1;
  int hold_fd_ = -1;  // closing it releases a held child
  int parent_alive_fd_ = -1;  // its end of file tells the supervisor nmz died
  int output_fd_ = -1;
};

}  // namespace nmz::sdk
