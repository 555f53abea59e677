// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: registers good_plugin's policy name in other case.
#include <nmz/sdk/plugin.hpp>

namespace {
std::unique_ptr<nmz::sdk::ExplorePolicy> no_policy() noexcept { return nullptr; }
void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("Test-Good-Policy", &no_policy, "collides with test-good but for case");
}
}  // namespace

NMZ_PLUGIN("test-case-duplicate", "0.0.1", "test plugin whose name differs from another only in case", register_components)
