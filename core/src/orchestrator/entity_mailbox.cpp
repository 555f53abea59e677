// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/entity_mailbox.hpp"

#include <vector>

namespace nmz::core {

EntityMailbox::EntityMailbox(ActionDestination* destination)
    : destination_(destination), inline_delivery_(destination->accepts_inline_delivery()) {
  if (!inline_delivery_) worker_ = std::thread([this] { run(); });
}

EntityMailbox::~EntityMailbox() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
}

bool EntityMailbox::post(sdk::Action&& action) {
  std::unique_lock lock(mutex_);
  if (retired_) return false;
  if (inline_delivery_ && !delivering_ && queue_.empty() && !closing_) {
    delivering_ = true;
    ActionDestination* destination = destination_;
    lock.unlock();
    destination->deliver(std::move(action));
    lock.lock();
    delivering_ = false;
    // Actions posted meanwhile (by deliver itself, or by other threads)
    // waited for this one, and so did a closing worker.
    bool wake = worker_idle_ && (!queue_.empty() || closing_);
    lock.unlock();
    if (wake) wake_.notify_one();
    return true;
  }
  queue_.push_back(std::move(action));
  // An entity whose actions are delivered inline needs its thread only when
  // actions meet (a REST endpoint with a thousand entities has a thousand
  // queues, not a thousand threads).
  if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
  // Only a sleeping worker needs a notify (a busy one finds the action when
  // it takes its next batch), and not while an inline delivery runs (that
  // one notifies when it is done). This keeps the hot path to one lock.
  bool wake = worker_idle_ && !delivering_;
  lock.unlock();
  if (wake) wake_.notify_one();
  return true;
}

void EntityMailbox::redirect(ActionDestination* destination) {
  std::lock_guard lock(mutex_);
  destination_ = destination;
  inline_delivery_ = destination->accepts_inline_delivery();
}

const ActionDestination* EntityMailbox::destination() const {
  std::lock_guard lock(mutex_);
  return destination_;
}

void EntityMailbox::hold() {
  std::lock_guard lock(mutex_);
  ++held_;
}

void EntityMailbox::release() {
  std::lock_guard lock(mutex_);
  --held_;
}

bool EntityMailbox::retire(const std::function<bool()>& destination_idle) {
  {
    std::lock_guard lock(mutex_);
    if (retired_ || held_ > 0 || delivering_ || !queue_.empty() || !destination_idle()) return false;
    retired_ = true;
    closing_ = true;
  }
  // Nothing is queued: an idle worker wakes only to end.
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
  return true;
}

void EntityMailbox::run() {
  std::deque<sdk::Action> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    worker_idle_ = true;
    wake_.wait(lock, [&] { return !delivering_ && (!queue_.empty() || closing_); });
    worker_idle_ = false;
    if (queue_.empty() && closing_) return;
    batch.swap(queue_);
    delivering_ = true;
    ActionDestination* destination = destination_;
    lock.unlock();
    for (auto& action : batch) destination->deliver(std::move(action));
    batch.clear();
    lock.lock();
    delivering_ = false;
  }
}

}  // namespace nmz::core
