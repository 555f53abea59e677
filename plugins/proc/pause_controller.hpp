// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <map>
#include <optional>

#include "error_once.hpp"

namespace nmz::plugins::proc {

// Jepsen-style pauses: SIGSTOP a whole process, SIGCONT it when its time is
// up. Every paused process is continued by resume_all() (stop, target exit,
// destructor) and, should nmz itself die, by a guardian process that sees
// nmz's end of a pipe close. Not thread-safe.
class PauseController {
 public:
  using Clock = std::chrono::steady_clock;

  explicit PauseController(ErrorOnce& errors) : errors_(errors) {}
  PauseController(const PauseController&) = delete;
  PauseController& operator=(const PauseController&) = delete;
  ~PauseController();

  // A process already paused stays paused until the later of both ends.
  void pause(int pid, std::chrono::nanoseconds duration, Clock::time_point now);
  [[nodiscard]] std::optional<Clock::time_point> next_resume() const;
  void resume_due(Clock::time_point now);
  void resume_all();
  // The process is gone: nothing to continue.
  void forget(int pid);
  [[nodiscard]] long pause_count() const noexcept { return pauses_; }

 private:
  void resume(int pid);
  void tell_guardian(int signed_pid);
  bool start_guardian();

  ErrorOnce& errors_;
  std::map<int, Clock::time_point> paused_;
  int guardian_pipe_ = -1;
  int guardian_pid_ = -1;
  long pauses_ = 0;
};

}  // namespace nmz::plugins::proc
