// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: its register function throws after registering one
// component, which must not stay registered.
#include <stdexcept>

#include <nmz/sdk/plugin.hpp>

namespace {
std::unique_ptr<nmz::sdk::ExplorePolicy> no_policy() noexcept { return nullptr; }
void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-half-registered", &no_policy, "must be rolled back");
  throw std::runtime_error("cannot open /etc/test-plugin.conf");
}
}  // namespace

NMZ_PLUGIN("test-throws", "0.0.1", "test plugin whose registration throws", register_components)
