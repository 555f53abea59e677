// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/action_waiter.hpp>

#include <condition_variable>
#include <mutex>
#include <string>
#include <unordered_map>

namespace nmz::sdk {

struct ActionWaiter::Impl {
  std::mutex mutex;
  std::condition_variable arrived;
  // An entry exists while a thread waits; it holds the action once delivered.
  std::unordered_map<std::string, std::optional<Action>> slots;
  bool cancelled = false;
};

ActionWaiter::ActionWaiter() : impl_(std::make_unique<Impl>()) {}
ActionWaiter::~ActionWaiter() = default;

std::optional<Action> ActionWaiter::submit_and_wait(InspectorHost& host, Event event,
                                                    std::chrono::nanoseconds timeout) {
  if (event.uuid.empty()) event.uuid = new_uuid();
  std::string uuid = event.uuid;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->cancelled) return std::nullopt;
    impl_->slots.emplace(uuid, std::nullopt);
  }
  // Registered before submitting: the action may arrive before submit returns.
  Status submitted = host.submit(std::move(event));
  std::unique_lock lock(impl_->mutex);
  auto it = impl_->slots.find(uuid);
  if (submitted) {
    impl_->arrived.wait_for(lock, timeout, [&] { return it->second.has_value() || impl_->cancelled; });
  }
  std::optional<Action> action = std::move(it->second);
  impl_->slots.erase(it);
  return action;
}

bool ActionWaiter::deliver(Action action) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->slots.find(action.event_uuid);
  if (it == impl_->slots.end()) return false;
  it->second = std::move(action);
  impl_->arrived.notify_all();
  return true;
}

void ActionWaiter::cancel_all() {
  std::lock_guard lock(impl_->mutex);
  impl_->cancelled = true;
  impl_->arrived.notify_all();
}

}  // namespace nmz::sdk
