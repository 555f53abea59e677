// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nmz/sdk/plugin.hpp>

namespace nmz::test {

// The test plugins' trivial policy: answers each event at once with its
// default action.
class EchoPolicy final : public sdk::ExplorePolicy {
 public:
  sdk::Status configure(const sdk::ComponentContext&) noexcept override { return {}; }
  sdk::Status start(sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    return {};
  }
  void queue_event(sdk::Event event) noexcept override { sink_->emit(sdk::default_action(event)); }
  void stop() noexcept override {}

 private:
  sdk::ActionSink* sink_ = nullptr;
};

}  // namespace nmz::test
