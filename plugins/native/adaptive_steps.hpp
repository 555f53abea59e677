// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

// PCT's k (the expected number of choice points of a run) for the runs of a
// loop, learnt from the runs themselves so that the user never has to
// calibrate it. PCT draws its d-1 change points uniformly from [1, k]: with k
// far above a run's real count most change points fall after the run ended
// (no preemption happens), far below it they all crowd into the start. The
// analysis of PCT (Burckhardt et al., ASPLOS 2010) takes k as the largest
// number of steps a run has, so that is what is kept: the largest count
// seen so far. Until a run has finished, the initial value (-steps, the
// steps file, or the default) is used.
namespace nmz::native {

class AdaptiveSteps {
 public:
  // `measured`: `initial` is itself a count seen before (a steps file), not
  // a guess that the first observation replaces.
  AdaptiveSteps(std::uint64_t initial, bool measured) : current_(initial < 1 ? 1 : initial), calibrated_(measured) {}

  // The k to give the next run.
  [[nodiscard]] std::uint64_t current() const noexcept { return current_; }
  // Whether any run has been observed yet.
  [[nodiscard]] bool calibrated() const noexcept { return calibrated_; }

  // A finished run had `choice_points` choice points. Runs without any (the
  // program never had two threads that could run) say nothing about k.
  void observe(std::uint64_t choice_points) noexcept {
    if (choice_points == 0) return;
    current_ = calibrated_ ? (choice_points > current_ ? choice_points : current_) : choice_points;
    calibrated_ = true;
  }

 private:
  std::uint64_t current_;
  bool calibrated_;
};

// Whether a run's count is far enough from the k it was given that PCT's
// change points were badly placed (more than 4x off either way).
inline bool steps_far_off(std::uint64_t choice_points, std::uint64_t steps) noexcept {
  return choice_points > 0 && (choice_points > 4 * steps || 4 * choice_points < steps);
}

}  // namespace nmz::native
