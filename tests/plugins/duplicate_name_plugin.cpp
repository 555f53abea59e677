// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: registers a name that good_plugin already registered.
#include <nmz/sdk/plugin.hpp>

namespace {
std::unique_ptr<nmz::sdk::ExplorePolicy> no_policy() noexcept { return nullptr; }
void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-good-policy", &no_policy, "collides with test-good");
}
}  // namespace

NMZ_PLUGIN("test-duplicate", "0.0.1", "test plugin with a clashing name", register_components)
