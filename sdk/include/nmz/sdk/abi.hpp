// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include <nmz/sdk/version.hpp>

namespace nmz::sdk {

class Registrar;

// What a plugin's entry point returns. Standard layout and append-only: new
// fields go at the end and `info_size` tells the host which ones exist.
struct PluginInfo {
  std::uint32_t abi_version;
  std::uint32_t info_size;
  const char* sdk_version;
  const char* build_fingerprint;
  const char* name;
  const char* version;
  const char* description;
  // Called once by the host, on its main thread, after every check passed.
  // Returns false after calling Registrar::fail when registration went wrong.
  bool (*register_components)(Registrar& registrar) noexcept;
};

// Host and plugin must spell the entry type identically (Boost.DLL imports by
// type without checking it).
using PluginEntryFn = const PluginInfo*();

}  // namespace nmz::sdk

#define NMZ_SDK_PP_CAT_(a, b) a##b
#define NMZ_SDK_PP_CAT(a, b) NMZ_SDK_PP_CAT_(a, b)
#define NMZ_SDK_PP_STR_(a) #a
#define NMZ_SDK_PP_STR(a) NMZ_SDK_PP_STR_(a)

// The ABI number is part of the exported symbol's name, so a plugin built for
// another ABI is reported as "has no nmz_plugin_abiN" before any of it runs.
#define NMZ_SDK_ENTRY_ALIAS NMZ_SDK_PP_CAT(nmz_plugin_abi, NMZ_SDK_ABI_VERSION)
#define NMZ_SDK_ENTRY_ALIAS_STRING NMZ_SDK_PP_STR(NMZ_SDK_ENTRY_ALIAS)

// Evaluated in the plugin's own translation unit: it records the compiler and
// library ABI that the plugin was really built with, which the SDK version
// number cannot tell (same SDK, different libstdc++ string ABI = corruption).
#define NMZ_SDK_BUILD_FINGERPRINT                                                 \
  "gcc" NMZ_SDK_PP_STR(__GNUC__) "-cxx" NMZ_SDK_PP_STR(__cplusplus) "-cxx11abi" \
      NMZ_SDK_PP_STR(_GLIBCXX_USE_CXX11_ABI)
