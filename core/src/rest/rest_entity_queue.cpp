// SPDX-License-Identifier: Apache-2.0
#include "rest/rest_entity_queue.hpp"

#include <algorithm>

#include <nmz/sdk/signal_json.hpp>

namespace nmz::core::rest {

RestEntityQueue::Poll RestEntityQueue::head_locked(std::size_t max) const {
  Poll result{Outcome::action, {}};
  for (std::size_t i = 0; i < actions_.size() && i < max; ++i) result.actions_json.push_back(actions_[i].json);
  return result;
}

void RestEntityQueue::deliver(sdk::Action action) noexcept {
  try {
    // Serialised once here rather than by every GET that peeks at it.
    Queued queued{action.uuid, sdk::to_json(action)};
    std::shared_ptr<LongPollWaiter> waiter;
    Poll poll{Outcome::action, {}};
    {
      std::lock_guard lock(mutex_);
      actions_.push_back(std::move(queued));
      if (parked_) {
        waiter = std::move(parked_);
        poll = head_locked(parked_max_);
      }
    }
    if (waiter) waiter->answer(std::move(poll));
  } catch (...) {
    // Out of memory while queueing: the inspector's own timeout fails open.
  }
}

std::optional<RestEntityQueue::Poll> RestEntityQueue::poll_or_park(std::size_t max,
                                                                   std::shared_ptr<LongPollWaiter> waiter) {
  std::shared_ptr<LongPollWaiter> older;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return Poll{Outcome::closed, {}};
    if (!actions_.empty()) return head_locked(max);
    older = std::exchange(parked_, std::move(waiter));
    parked_max_ = max;
  }
  if (older) older->answer(Poll{Outcome::superseded, {}});
  return std::nullopt;
}

bool RestEntityQueue::unpark(const LongPollWaiter* waiter) {
  std::lock_guard lock(mutex_);
  if (parked_.get() != waiter) return false;
  parked_.reset();
  return true;
}

void RestEntityQueue::remove(std::string_view uuid) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(actions_.begin(), actions_.end(), [&](const Queued& q) { return q.uuid == uuid; });
  if (it != actions_.end()) actions_.erase(it);
}

void RestEntityQueue::close() {
  std::shared_ptr<LongPollWaiter> waiter;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    waiter = std::move(parked_);
  }
  if (waiter) waiter->answer(Poll{Outcome::closed, {}});
}

std::size_t RestEntityQueue::size() const {
  std::lock_guard lock(mutex_);
  return actions_.size();
}

bool RestEntityQueue::idle() const {
  std::lock_guard lock(mutex_);
  return actions_.empty() && !parked_;
}

}  // namespace nmz::core::rest
