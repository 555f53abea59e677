// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <exception>

#include <boost/dll/alias.hpp>

#include <nmz/sdk/abi.hpp>
#include <nmz/sdk/registrar.hpp>
#include <nmz/sdk/version.hpp>

namespace nmz::sdk::detail {

// Exceptions never leave plugin code: one thrown by the register function is
// turned into Registrar::fail here, on the plugin's side of the boundary.
template <void (*RegisterFn)(Registrar&)>
bool guarded_register(Registrar& registrar) noexcept {
  try {
    RegisterFn(registrar);
    return true;
  } catch (const std::exception& e) {
    registrar.fail(e.what());
  } catch (...) {
    registrar.fail("unknown exception");
  }
  return false;
}

}  // namespace nmz::sdk::detail

// Declares a plugin. Write it once per .so, at namespace scope:
//
//   void register_components(nmz::sdk::Registrar& r) {
//     r.add_explore_policy("mypolicy", &nmz::sdk::make_policy<MyPolicy>, "...");
//   }
//   NMZ_PLUGIN("mypolicy", "0.1.0", "My exploration policy", register_components)
//
// It exports one symbol, nmz_plugin_abi<N>, that returns the PluginInfo the
// host checks (ABI, SDK version, build fingerprint) before calling
// `register_components`. Nothing runs at load time.
#define NMZ_PLUGIN(NAME, VERSION, DESCRIPTION, REGISTER_FN)                                          \
  namespace nmz_plugin_entry_ {                                                                      \
  static const ::nmz::sdk::PluginInfo* plugin_info() {                                              \
    static constexpr ::nmz::sdk::PluginInfo info{                                                    \
        NMZ_SDK_ABI_VERSION,         sizeof(::nmz::sdk::PluginInfo),                                 \
        NMZ_SDK_VERSION_STRING,      NMZ_SDK_BUILD_FINGERPRINT,                                      \
        NAME,                        VERSION,                                                        \
        DESCRIPTION,                 &::nmz::sdk::detail::guarded_register<REGISTER_FN>};            \
    return &info;                                                                                    \
  }                                                                                                  \
  }                                                                                                  \
  BOOST_DLL_ALIAS(nmz_plugin_entry_::plugin_info, NMZ_SDK_ENTRY_ALIAS)
