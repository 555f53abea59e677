// SPDX-License-Identifier: Apache-2.0
#include "timed_release_queue.hpp"

namespace nmz::plugins {

TimedReleaseQueue::~TimedReleaseQueue() { stop(); }

void TimedReleaseQueue::start(sdk::ActionSink& sink) {
  sink_ = &sink;
  worker_ = std::thread([this] { run(); });
}

void TimedReleaseQueue::push_independent(sdk::Action action, std::chrono::nanoseconds delay,
                                         std::optional<sdk::Action> on_stop) {
  {
    std::unique_lock lock(mutex_);
    // Nothing held and nothing to wait for: emit on the caller's thread. It
    // keeps order (nothing is ahead of it) and saves a thread hop on the
    // zero-delay path that pass-through runs take.
    if (delay.count() <= 0 && held_.empty() && !stopping_) {
      lock.unlock();
      sink_->emit(std::move(action));
      return;
    }
  }
  push_at(std::move(action), Clock::now() + delay, std::move(on_stop));
}

void TimedReleaseQueue::push_serial(sdk::Action action, std::chrono::nanoseconds spacing,
                                    std::optional<sdk::Action> on_stop) {
  if (spacing.count() <= 0) {
    push_independent(std::move(action), spacing, std::move(on_stop));
    return;
  }
  Clock::time_point release;
  {
    std::lock_guard lock(mutex_);
    release = std::max(Clock::now(), last_serial_release_) + spacing;
    last_serial_release_ = release;
  }
  push_at(std::move(action), release, std::move(on_stop));
}

void TimedReleaseQueue::push_at(sdk::Action action, Clock::time_point release, std::optional<sdk::Action> on_stop) {
  bool earliest = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      // Late events during stop are released at once: nothing may stay held.
      sink_->emit(on_stop ? std::move(*on_stop) : std::move(action));
      return;
    }
    earliest = held_.empty() || release < held_.top().release;
    held_.push(Held{release, next_sequence_++, std::move(action), std::move(on_stop)});
  }
  if (earliest) wake_.notify_one();
}

void TimedReleaseQueue::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) break;
    if (held_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto release = held_.top().release;
    if (Clock::now() < release) {
      wake_.wait_until(lock, release);
      continue;
    }
    sdk::Action action = std::move(const_cast<Held&>(held_.top()).action);
    held_.pop();
    lock.unlock();
    sink_->emit(std::move(action));
    lock.lock();
  }
  while (!held_.empty()) {
    auto& held = const_cast<Held&>(held_.top());
    sdk::Action action = held.on_stop ? std::move(*held.on_stop) : std::move(held.action);
    held_.pop();
    sink_->emit(std::move(action));
  }
}

void TimedReleaseQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !worker_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
}

}  // namespace nmz::plugins
