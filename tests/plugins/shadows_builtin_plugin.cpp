// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: registers "Random", the name (without case) of a policy
// nmz ships; refused unless config.toml's allowPluginOverride names it.
#include <nmz/sdk/plugin.hpp>

namespace {

class FirstEventPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  nmz::sdk::Status configure(const nmz::sdk::ComponentContext&) noexcept override { return {}; }
  nmz::sdk::Status start(nmz::sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    return {};
  }
  void queue_event(nmz::sdk::Event event) noexcept override { sink_->emit(nmz::sdk::default_action(event)); }
  void stop() noexcept override {}

 private:
  nmz::sdk::ActionSink* sink_ = nullptr;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("Random", &nmz::sdk::make_policy<FirstEventPolicy>, "third-party random");
}

}  // namespace

NMZ_PLUGIN("test-shadows-builtin", "0.0.1", "test plugin registering a built-in name", register_components)
