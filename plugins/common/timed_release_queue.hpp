// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/signal.hpp>

namespace nmz::plugins {

// Holds decided actions until their release time, then emits them into the
// sink, earliest first (ties in the order they were queued). This is the
// policies' time-bounded queue (Namazu's util/queue), with both of its
// modes:
//   - serial: each action is released `delay` after the previous one
//     (order kept, spacing constant: Namazu's min == max path);
//   - independent: each action is released `delay` after it was queued
//     (different delays reorder: Namazu's min < max path).
// Thread-safe. push never blocks beyond a short lock.
class TimedReleaseQueue {
 public:
  using Clock = std::chrono::steady_clock;

  TimedReleaseQueue() = default;
  TimedReleaseQueue(const TimedReleaseQueue&) = delete;
  TimedReleaseQueue& operator=(const TimedReleaseQueue&) = delete;
  ~TimedReleaseQueue();

  // Starts the release thread; `sink` is borrowed until stop() returns.
  void start(sdk::ActionSink& sink);
  // `on_stop`, when given, replaces `action` if the queue is stopped before
  // the release time: a stopping run answers with default actions, not with
  // faults or scheduling decided earlier.
  void push_independent(sdk::Action action, std::chrono::nanoseconds delay,
                        std::optional<sdk::Action> on_stop = std::nullopt);
  void push_serial(sdk::Action action, std::chrono::nanoseconds spacing,
                   std::optional<sdk::Action> on_stop = std::nullopt);
  // Emits everything still held at once, in release order, and joins.
  void stop();

 private:
  struct Held {
    Clock::time_point release;
    std::uint64_t sequence;
    sdk::Action action;
    std::optional<sdk::Action> on_stop;
    bool operator>(const Held& other) const {
      return release != other.release ? release > other.release : sequence > other.sequence;
    }
  };

  void push_at(sdk::Action action, Clock::time_point release, std::optional<sdk::Action> on_stop);
  void run();

  sdk::ActionSink* sink_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<Held, std::vector<Held>, std::greater<>> held_;
  std::uint64_t next_sequence_ = 0;
  Clock::time_point last_serial_release_{};
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace nmz::plugins
