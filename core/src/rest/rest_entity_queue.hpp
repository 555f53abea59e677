// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/action_destination.hpp"

namespace nmz::core::rest {

// The actions waiting for one REST entity, with Namazu's long-poll
// semantics: a GET sees the head without taking it, a DELETE takes it, and
// only the newest GET of an entity waits (an older one is told it was
// superseded). Entities have a queue each, so one that does not poll
// delays nobody else.
//
// A GET that finds nothing parks a LongPollWaiter here instead of a
// thread; whoever makes the answer known (a delivery, a newer GET, close)
// takes the waiter out under the lock and answers it after releasing it.
class RestEntityQueue final : public ActionDestination {
 public:
  enum class Outcome { action, superseded, closed };
  struct Poll {
    Outcome outcome;
    std::vector<std::string> actions_json;  // when outcome == action: the first `max` queued, in order
  };
  class LongPollWaiter {
   public:
    virtual ~LongPollWaiter() = default;
    // Called once, on the thread that took the waiter out (a delivering
    // policy thread, the endpoint's loop), with no lock of the queue held.
    // Must not block.
    virtual void answer(Poll poll) noexcept = 0;
  };

  // Thread: whichever emitted the action (inline delivery), or the
  // entity's mailbox thread. Serialises, queues and answers a parked GET:
  // never blocks beyond a short lock and a non-blocking send.
  void deliver(sdk::Action action) noexcept override;
  [[nodiscard]] bool accepts_inline_delivery() const noexcept override { return true; }
  // The first `max` queued actions, or nothing when none is queued: then
  // `waiter` is parked until one arrives (an older parked waiter is
  // answered `superseded`).
  std::optional<Poll> poll_or_park(std::size_t max, std::shared_ptr<LongPollWaiter> waiter);
  // Takes `waiter` out if it is still parked (its client went away). False
  // when someone else took it and answers it.
  bool unpark(const LongPollWaiter* waiter);
  // Removes the action `uuid` wherever it is; unknown uuids are ignored
  // (DELETE is idempotent).
  void remove(std::string_view uuid);
  // Answers the parked waiter with `closed`, and every later poll.
  void close();
  [[nodiscard]] std::size_t size() const;
  // Nothing queued and nobody parked: the entity holds nothing.
  [[nodiscard]] bool idle() const;

 private:
  struct Queued {
    std::string uuid;
    std::string json;
  };
  Poll head_locked(std::size_t max) const;

  mutable std::mutex mutex_;
  std::deque<Queued> actions_;
  std::shared_ptr<LongPollWaiter> parked_;
  std::size_t parked_max_ = 1;
  bool closed_ = false;
};

}  // namespace nmz::core::rest
