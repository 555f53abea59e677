// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "orchestrator/action_destination.hpp"

namespace nmz::core::rest {

// The actions waiting for one REST entity, with Namazu's long-poll
// semantics: a GET sees the head without taking it, a DELETE takes it, and
// only the newest GET of an entity waits (an older one is told it was
// superseded). Entities have a queue each, so one that does not poll
// delays nobody else.
class RestEntityQueue final : public ActionDestination {
 public:
  enum class Outcome { action, superseded, closed };
  struct Poll {
    Outcome outcome;
    std::vector<std::string> actions_json;  // when outcome == action: the first `max` queued, in order
  };

  // Thread: whichever emitted the action (inline delivery), or the
  // entity's mailbox thread. Serialises and queues: never blocks.
  void deliver(sdk::Action action) noexcept override;
  [[nodiscard]] bool accepts_inline_delivery() const noexcept override { return true; }
  // Blocks until the queue has a head, a newer poll() arrives, or close().
  Poll poll(std::size_t max = 1);
  // Removes the action `uuid` wherever it is; unknown uuids are ignored
  // (DELETE is idempotent).
  void remove(const std::string& uuid);
  // Wakes every poller with `closed`, now and later.
  void close();
  [[nodiscard]] std::size_t size() const;

 private:
  struct Queued {
    std::string uuid;
    std::string json;
  };
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Queued> actions_;
  std::uint64_t newest_poll_ = 0;
  bool closed_ = false;
};

}  // namespace nmz::core::rest
