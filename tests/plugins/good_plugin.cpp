// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: one policy and one inspector, both trivial, to exercise
// loading, registration of several components and the CLI listing.
#include <nmz/sdk/plugin.hpp>

#include "echo_policy.hpp"

namespace {

class IdleInspector final : public nmz::sdk::Inspector {
 public:
  nmz::sdk::Status configure(const nmz::sdk::ComponentContext&, const nmz::sdk::InspectorSettings&) noexcept override {
    return {};
  }
  Outcome run(nmz::sdk::InspectorHost&) noexcept override { return {}; }
  void request_stop() noexcept override {}
  void on_action(nmz::sdk::Action) noexcept override {}
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-good-policy", &nmz::sdk::make_policy<nmz::test::EchoPolicy>, "answers at once");
  registrar.add_inspector("test-good-inspector", &nmz::sdk::make_inspector<IdleInspector>, "does nothing");
  nmz::sdk::declare_parameters(registrar, "test-good-policy", {"interval", "procPolicyParam.useBatch"});
}

}  // namespace

NMZ_PLUGIN("test-good", "1.2.3", "test plugin with two components", register_components)
