// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nmz/sdk/signal.hpp>

#include "choice_policy.hpp"

namespace nmz::plugins {

// PCT (or a random walk) over the deferred events an orchestrator holds:
// each event belongs to a stream (the "thread" of the algorithm: the
// inspector's thread, or the node that sent the packet, see stream_of), and
// each release is one step: the stream chosen by the policy among those
// with a held event gives up its oldest one. The same choice code runs in
// the native interposer, so both sides mean the same by "pct depth 3".
// Pure logic: no clock, no threads, not thread-safe.
class StreamScheduler {
 public:
  StreamScheduler(native::PolicyKind kind, std::uint32_t depth, std::uint64_t seed, std::uint64_t steps);

  void add(sdk::Event event);
  [[nodiscard]] bool empty() const { return held_ == 0; }
  // Removes and returns the next event to release; the scheduler must not
  // be empty.
  sdk::Event next();
  // Removes and returns every held event, oldest first.
  std::vector<sdk::Event> drain();

  // The stream key: entity plus the option's "thread", "thread_name" or
  // "src_entity" when there is one, else the entity alone.
  static std::string stream_of(const sdk::Event& event);

 private:
  // Streams beyond the policy's thread limit share the last index.
  std::uint32_t index_of(const std::string& stream);

  std::unique_ptr<native::preload::ChoicePolicy> choice_;
  std::map<std::string, std::uint32_t> index_;
  std::vector<std::deque<std::pair<std::uint64_t, sdk::Event>>> pending_;
  std::uint64_t arrivals_ = 0;
  std::uint64_t held_ = 0;
  std::uint64_t decisions_ = 0;
  std::int32_t last_released_ = -1;
};

}  // namespace nmz::plugins
