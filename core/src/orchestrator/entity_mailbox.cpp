// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/entity_mailbox.hpp"

#include <vector>

namespace nmz::core {

EntityMailbox::EntityMailbox(ActionDestination* destination)
    : destination_(destination), worker_([this] { run(); }) {}

EntityMailbox::~EntityMailbox() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  worker_.join();
}

void EntityMailbox::post(sdk::Action action) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(action));
    // Only a sleeping worker needs a notify; a busy one finds the action
    // when it takes its next batch. This keeps the hot path to one lock.
    wake = worker_idle_;
  }
  if (wake) wake_.notify_one();
}

void EntityMailbox::redirect(ActionDestination* destination) {
  std::lock_guard lock(mutex_);
  destination_ = destination;
}

void EntityMailbox::run() {
  std::deque<sdk::Action> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    worker_idle_ = true;
    wake_.wait(lock, [&] { return !queue_.empty() || closing_; });
    worker_idle_ = false;
    if (queue_.empty() && closing_) return;
    batch.swap(queue_);
    ActionDestination* destination = destination_;
    lock.unlock();
    for (auto& action : batch) destination->deliver(std::move(action));
    batch.clear();
    lock.lock();
  }
}

}  // namespace nmz::core
