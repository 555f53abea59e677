// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: built "for ABI 7", so it exports nmz_plugin_abi7 only.
#include <nmz/sdk/plugin.hpp>

namespace {
bool never_called(nmz::sdk::Registrar&) noexcept { return true; }
const nmz::sdk::PluginInfo* plugin_info() {
  static constexpr nmz::sdk::PluginInfo info{7,     sizeof(nmz::sdk::PluginInfo), "0.1.0", NMZ_SDK_BUILD_FINGERPRINT,
                                             "test-abi7", "0.0.1", "built for ABI 7", &never_called};
  return &info;
}
}  // namespace

BOOST_DLL_ALIAS(plugin_info, nmz_plugin_abi7)
