// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: exports this ABI's entry symbol, but its PluginInfo
// claims another ABI (as a plugin with a hand-edited or corrupted header would).
#include <nmz/sdk/plugin.hpp>

namespace {
bool never_called(nmz::sdk::Registrar&) noexcept { return true; }
const nmz::sdk::PluginInfo* plugin_info() {
  static constexpr nmz::sdk::PluginInfo info{9999,          sizeof(nmz::sdk::PluginInfo), NMZ_SDK_VERSION_STRING,
                                             NMZ_SDK_BUILD_FINGERPRINT, "test-wrong-abi", "0.0.1",
                                             "claims ABI 9999",         &never_called};
  return &info;
}
}  // namespace

BOOST_DLL_ALIAS(plugin_info, NMZ_SDK_ENTRY_ALIAS)
