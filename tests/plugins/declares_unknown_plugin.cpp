// SPDX-License-Identifier: Apache-2.0
// Declares parameters for a component it never added: refused whole.
#include <nmz/sdk/plugin.hpp>

namespace {

std::unique_ptr<nmz::sdk::ExplorePolicy> no_policy() noexcept { return nullptr; }

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-declared-policy", &no_policy, "declares parameters for another name");
  nmz::sdk::declare_parameters(registrar, "test-not-added", {"interval"});
}

}  // namespace

NMZ_PLUGIN("test-declares-unknown", "0.1.0", "declares parameters of a component it does not add", register_components)
