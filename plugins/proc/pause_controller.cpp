// SPDX-License-Identifier: Apache-2.0
#include "pause_controller.hpp"

#include <fcntl.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>

namespace nmz::plugins::proc {
namespace {

// The guardian: a forked child that only reads the pipe (paused pids as
// positive numbers, continued ones as negative) and, at end of file,
// continues whatever is still paused. Async-signal-safe calls only, since
// nmz is multi-threaded when it forks.
[[noreturn]] void guardian_main(int read_end) {
  std::array<std::int32_t, 4096> paused{};
  std::size_t count = 0;
  std::int32_t value = 0;
  for (;;) {
    ssize_t n = read(read_end, &value, sizeof value);
    if (n == sizeof value) {
      if (value > 0 && count < paused.size()) {
        paused[count++] = value;
      } else if (value < 0) {
        for (std::size_t i = 0; i < count; ++i) {
          if (paused[i] == -value) {
            paused[i] = paused[--count];
            break;
          }
        }
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  for (std::size_t i = 0; i < count; ++i) kill(paused[i], SIGCONT);
  _exit(0);
}

}  // namespace

PauseController::~PauseController() {
  resume_all();
  if (guardian_pipe_ >= 0) {
    close(guardian_pipe_);
    waitpid(guardian_pid_, nullptr, 0);
  }
}

bool PauseController::start_guardian() {
  if (guardian_pipe_ >= 0) return true;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    // Holding nmz's other descriptors would keep pipes to nmz's callers open.
    if (fds[0] > 0) close_range(0, static_cast<unsigned>(fds[0]) - 1, 0);
    close_range(static_cast<unsigned>(fds[0]) + 1, ~0U, 0);
    guardian_main(fds[0]);
  }
  close(fds[0]);
  guardian_pipe_ = fds[1];
  guardian_pid_ = pid;
  return true;
}

void PauseController::tell_guardian(int signed_pid) {
  if (guardian_pipe_ < 0) return;
  std::int32_t value = signed_pid;
  while (write(guardian_pipe_, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

void PauseController::pause(int pid, std::chrono::nanoseconds duration, Clock::time_point now) {
  if (duration.count() <= 0 || pid <= 0) return;
  auto until = now + duration;
  if (auto it = paused_.find(pid); it != paused_.end()) {
    if (it->second < until) it->second = until;
    return;
  }
  if (!start_guardian()) {
    errors_.report("pause", errno, "starting the guardian that continues paused processes if nmz dies",
                   "pauses are skipped rather than risk leaving the target stopped");
    return;
  }
  tell_guardian(pid);
  if (kill(pid, SIGSTOP) != 0) {
    if (errno != ESRCH) errors_.report("kill", errno, "kill(pid " + std::to_string(pid) + ", SIGSTOP)");
    tell_guardian(-pid);
    return;
  }
  ++pauses_;
  paused_.emplace(pid, until);
}

std::optional<PauseController::Clock::time_point> PauseController::next_resume() const {
  std::optional<Clock::time_point> next;
  for (const auto& [pid, until] : paused_) {
    if (!next || until < *next) next = until;
  }
  return next;
}

void PauseController::resume(int pid) {
  if (kill(pid, SIGCONT) != 0 && errno != ESRCH) {
    errors_.report("kill", errno, "kill(pid " + std::to_string(pid) + ", SIGCONT)");
  }
  tell_guardian(-pid);
}

void PauseController::resume_due(Clock::time_point now) {
  for (auto it = paused_.begin(); it != paused_.end();) {
    if (it->second <= now) {
      resume(it->first);
      it = paused_.erase(it);
    } else {
      ++it;
    }
  }
}

void PauseController::resume_all() {
  for (const auto& [pid, until] : paused_) resume(pid);
  paused_.clear();
}

void PauseController::forget(int pid) {
  if (paused_.erase(pid) > 0) tell_guardian(-pid);
}

}  // namespace nmz::plugins::proc
