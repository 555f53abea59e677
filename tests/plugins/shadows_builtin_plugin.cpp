// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: registers "Random", the name (without case) of a policy
// nmz ships; refused unless config.toml's allowPluginOverride names it.
#include <nmz/sdk/plugin.hpp>

#include "echo_policy.hpp"

namespace {

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("Random", &nmz::sdk::make_policy<nmz::test::EchoPolicy>, "third-party random");
}

}  // namespace

NMZ_PLUGIN("test-shadows-builtin", "0.0.1", "test plugin registering a built-in name", register_components)
