// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: right ABI, but built with "another toolchain".
#include <nmz/sdk/plugin.hpp>

namespace {
bool never_called(nmz::sdk::Registrar&) noexcept { return true; }
const nmz::sdk::PluginInfo* plugin_info() {
  static constexpr nmz::sdk::PluginInfo info{NMZ_SDK_ABI_VERSION, sizeof(nmz::sdk::PluginInfo), NMZ_SDK_VERSION_STRING,
                                             "gcc99-cxx201703-cxx11abi0", "test-fingerprint", "0.0.1",
                                             "built elsewhere", &never_called};
  return &info;
}
}  // namespace

BOOST_DLL_ALIAS(plugin_info, NMZ_SDK_ENTRY_ALIAS)
