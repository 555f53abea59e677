// SPDX-License-Identifier: Apache-2.0
#include "rest/rest_entity_queue.hpp"

#include <algorithm>

#include <nmz/sdk/signal_json.hpp>

namespace nmz::core::rest {

void RestEntityQueue::deliver(sdk::Action action) noexcept {
  try {
    // Serialised once here rather than by every GET that peeks at it.
    Queued queued{action.uuid, sdk::to_json(action)};
    {
      std::lock_guard lock(mutex_);
      actions_.push_back(std::move(queued));
    }
    changed_.notify_all();
  } catch (...) {
    // Out of memory while queueing: the inspector's own timeout fails open.
  }
}

RestEntityQueue::Poll RestEntityQueue::poll(std::size_t max) {
  std::unique_lock lock(mutex_);
  const std::uint64_t mine = ++newest_poll_;
  changed_.notify_all();  // tells an older poller that it is superseded
  changed_.wait(lock, [&] { return closed_ || newest_poll_ != mine || !actions_.empty(); });
  if (closed_) return {Outcome::closed, {}};
  if (newest_poll_ != mine) return {Outcome::superseded, {}};
  Poll result{Outcome::action, {}};
  for (std::size_t i = 0; i < actions_.size() && i < max; ++i) result.actions_json.push_back(actions_[i].json);
  return result;
}

void RestEntityQueue::remove(const std::string& uuid) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(actions_.begin(), actions_.end(), [&](const Queued& q) { return q.uuid == uuid; });
  if (it != actions_.end()) actions_.erase(it);
}

void RestEntityQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

std::size_t RestEntityQueue::size() const {
  std::lock_guard lock(mutex_);
  return actions_.size();
}

}  // namespace nmz::core::rest
