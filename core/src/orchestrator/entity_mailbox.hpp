// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <nmz/sdk/signal.hpp>

#include "orchestrator/action_destination.hpp"

namespace nmz::core {

// One entity's queue of actions and the thread that delivers them in order.
// Entities do not wait for each other: no head-of-line blocking (Namazu's
// REST queue stalled every entity behind one that did not poll).
//
// A destination that accepts inline delivery gets an action on the posting
// thread when nothing of its entity is queued or being delivered: that saves
// the wake-up of the delivery thread, which is most of the cost of a
// zero-delay event.
class EntityMailbox {
 public:
  explicit EntityMailbox(ActionDestination* destination);
  EntityMailbox(const EntityMailbox&) = delete;
  EntityMailbox& operator=(const EntityMailbox&) = delete;
  // Delivers what is queued, then joins the thread.
  ~EntityMailbox();

  // Thread: any. Never blocks beyond a short lock, or beyond one inline
  // delivery when the destination accepts those. False, with `action` left
  // as it was, once the mailbox is retired.
  bool post(sdk::Action&& action);
  // Later actions go to `destination` (an inspector reconnecting).
  void redirect(ActionDestination* destination);
  [[nodiscard]] const ActionDestination* destination() const;

  // An event of this entity is pending: its action will be posted here.
  // Thread: any. Every hold() is matched by one release(), after the
  // action's post() returned.
  void hold();
  void release();
  // Retires the mailbox when nothing of its entity is held, queued or being
  // delivered and `destination_idle` (called under the mailbox's lock, so
  // that no delivery runs meanwhile) agrees: later posts are dropped and the
  // destination may go. Stops the delivery thread, if one was started.
  // Thread: any but the delivery thread.
  bool retire(const std::function<bool()>& destination_idle);

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<sdk::Action> queue_;
  ActionDestination* destination_;
  bool inline_delivery_;
  // A deliver() call is in progress (inline or by the worker): keeps this
  // entity's actions one at a time and in order.
  bool delivering_ = false;
  bool closing_ = false;
  bool retired_ = false;
  bool worker_idle_ = false;
  std::size_t held_ = 0;
  // Started by the constructor, or for a destination that accepts inline
  // delivery by the first action that has to wait. Last: starts after the
  // members it uses exist.
  std::thread worker_;
};

}  // namespace nmz::core
