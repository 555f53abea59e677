// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

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
// number cannot tell (same SDK, different libstdc++ string ABI or debug mode =
// corrupted std::string and containers): "gcc12-cxx202002L-cxx11abi1-debug+assertions".
//   - The compiler is a label only ("gcc12", "clang15"): both follow the
//     Itanium C++ ABI and use the same libstdc++.
//   - From the first '-' to the '+', the standard library ABI (C++ standard,
//     string ABI, _GLIBCXX_DEBUG, which changes every container's layout):
//     must match the host's exactly (nmz::sdk::fingerprint_abi_tag).
//   - After the '+', _GLIBCXX_ASSERTIONS: checks that change no layout,
//     shown so that a crash report says which build it came from.
#if defined(__clang__)
#define NMZ_SDK_COMPILER_LABEL "clang" NMZ_SDK_PP_STR(__clang_major__)
#else
#define NMZ_SDK_COMPILER_LABEL "gcc" NMZ_SDK_PP_STR(__GNUC__)
#endif
#if defined(_GLIBCXX_DEBUG)
#define NMZ_SDK_GLIBCXX_DEBUG_TAG "-debug"
#else
#define NMZ_SDK_GLIBCXX_DEBUG_TAG ""
#endif
#if defined(_GLIBCXX_ASSERTIONS)
#define NMZ_SDK_GLIBCXX_ASSERTIONS_TAG "+assertions"
#else
#define NMZ_SDK_GLIBCXX_ASSERTIONS_TAG ""
#endif
#define NMZ_SDK_BUILD_FINGERPRINT                                                                 \
  NMZ_SDK_COMPILER_LABEL "-cxx" NMZ_SDK_PP_STR(__cplusplus) "-cxx11abi" NMZ_SDK_PP_STR(_GLIBCXX_USE_CXX11_ABI) \
      NMZ_SDK_GLIBCXX_DEBUG_TAG NMZ_SDK_GLIBCXX_ASSERTIONS_TAG

namespace nmz::sdk {

// The part of a build fingerprint that host and plugin must share: what lies
// between the compiler label and the '+' ("cxx202002L-cxx11abi1").
constexpr std::string_view fingerprint_abi_tag(std::string_view fingerprint) noexcept {
  auto dash = fingerprint.find('-');
  std::string_view tag = dash == std::string_view::npos ? fingerprint : fingerprint.substr(dash + 1);
  return tag.substr(0, tag.find('+'));
}

}  // namespace nmz::sdk
