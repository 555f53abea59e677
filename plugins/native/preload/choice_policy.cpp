// SPDX-License-Identifier: Apache-2.0
#include "choice_policy.hpp"

namespace nmz::native::preload {

void ChoicePolicy::configure(PolicyKind kind, std::uint32_t depth, std::uint64_t seed, std::uint64_t steps) {
  kind_ = kind;
  rng_state_ = seed;
  if (depth < 1) depth = 1;
  if (depth > kMaxDepth) depth = kMaxDepth;
  if (steps < 1) steps = 1;
  // d - 1 distinct change points in [1, k]; change point i lowers the
  // running thread to priority i, below every initial priority (>= d).
  change_count_ = depth - 1;
  for (std::uint32_t i = 0; i < change_count_; ++i) {
    for (;;) {
      std::uint64_t step = 1 + next_random() % steps;
      bool taken = false;
      for (std::uint32_t j = 0; j < i; ++j) taken = taken || change_steps_[j] == step;
      if (!taken || steps < change_count_) {
        change_steps_[i] = step;
        break;
      }
    }
  }
}

std::uint64_t ChoicePolicy::next_random() {
  // splitmix64: tiny, fast, and its sequence is fixed by the seed alone.
  std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void ChoicePolicy::on_new_thread(std::uint32_t index) {
  if (index >= kMaxThreads) return;
  // Random distinct priorities; threads appear one by one, so instead of a
  // permutation of d..d+n-1 each gets a random 62-bit value (distinct with
  // overwhelming probability, ties broken by index).
  priority_[index] = static_cast<std::int64_t>(kMaxDepth + 1 + (next_random() >> 2));
}

void ChoicePolicy::on_yield(std::uint32_t index) {
  if (index >= kMaxThreads) return;
  if (kind_ == PolicyKind::pct) {
    priority_[index] = --lowest_;
  } else {
    yielded_[index] = true;
  }
}

bool ChoicePolicy::is_change_point(std::uint64_t decision) const {
  for (std::uint32_t i = 0; i < change_count_; ++i) {
    if (change_steps_[i] == decision) return true;
  }
  return false;
}

std::uint32_t ChoicePolicy::choose(const std::uint32_t* candidates, std::uint32_t count, std::int32_t current,
                                   std::uint64_t decision) {
  if (kind_ == PolicyKind::random_walk) {
    std::uint32_t eligible = 0;
    for (std::uint32_t i = 0; i < count; ++i) eligible += yielded_[candidates[i]] ? 0 : 1;
    bool avoid_yielded = eligible > 0;
    std::uint64_t pick = next_random() % (avoid_yielded ? eligible : count);
    std::uint32_t chosen = candidates[0];
    for (std::uint32_t i = 0; i < count; ++i) {
      if (avoid_yielded && yielded_[candidates[i]]) continue;
      if (pick-- == 0) {
        chosen = candidates[i];
        break;
      }
    }
    yielded_[chosen] = false;
    return chosen;
  }
  if (current >= 0) {
    for (std::uint32_t i = 0; i < change_count_; ++i) {
      if (change_steps_[i] == decision) priority_[current] = static_cast<std::int64_t>(i + 1);
    }
  }
  std::uint32_t best = candidates[0];
  for (std::uint32_t i = 1; i < count; ++i) {
    std::uint32_t c = candidates[i];
    if (priority_[c] > priority_[best] || (priority_[c] == priority_[best] && c < best)) best = c;
  }
  return best;
}

}  // namespace nmz::native::preload
