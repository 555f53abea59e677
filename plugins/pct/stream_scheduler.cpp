// SPDX-License-Identifier: Apache-2.0
#include "stream_scheduler.hpp"

#include <algorithm>

namespace nmz::plugins {

StreamScheduler::StreamScheduler(native::PolicyKind kind, std::uint32_t depth, std::uint64_t seed, std::uint64_t steps)
    : choice_(std::make_unique<native::preload::ChoicePolicy>()) {
  choice_->configure(kind, depth, seed, steps);
}

std::string StreamScheduler::stream_of(const sdk::Event& event) {
  for (const char* key : {"thread", "thread_name", "src_entity"}) {
    if (auto value = sdk::option_string(event.option, key)) return event.entity + "/" + *value;
  }
  return event.entity;
}

std::uint32_t StreamScheduler::index_of(const std::string& stream) {
  auto found = index_.find(stream);
  if (found != index_.end()) return found->second;
  auto index = static_cast<std::uint32_t>(std::min<std::size_t>(pending_.size(), native::kMaxThreads - 1));
  if (index == pending_.size()) {
    pending_.emplace_back();
    choice_->on_new_thread(index);
  }
  index_.emplace(stream, index);
  return index;
}

void StreamScheduler::add(sdk::Event event) {
  std::uint32_t index = index_of(stream_of(event));
  pending_[index].emplace_back(arrivals_++, std::move(event));
  ++held_;
}

sdk::Event StreamScheduler::next() {
  std::vector<std::uint32_t> candidates;
  for (std::uint32_t i = 0; i < pending_.size(); ++i) {
    if (!pending_[i].empty()) candidates.push_back(i);
  }
  std::uint32_t chosen = candidates.front();
  if (candidates.size() > 1) {
    chosen = choice_->choose(candidates.data(), static_cast<std::uint32_t>(candidates.size()), last_released_,
                             ++decisions_);
  }
  last_released_ = static_cast<std::int32_t>(chosen);
  sdk::Event event = std::move(pending_[chosen].front().second);
  pending_[chosen].pop_front();
  --held_;
  return event;
}

std::vector<sdk::Event> StreamScheduler::drain() {
  std::vector<std::pair<std::uint64_t, sdk::Event>> all;
  for (auto& stream : pending_) {
    for (auto& held : stream) all.push_back(std::move(held));
    stream.clear();
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<sdk::Event> events;
  for (auto& held : all) events.push_back(std::move(held.second));
  held_ = 0;
  return events;
}

}  // namespace nmz::plugins
