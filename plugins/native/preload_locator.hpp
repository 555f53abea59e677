// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nmz/sdk/status.hpp>

namespace nmz::native {

inline constexpr const char* kPreloadFileName = "libnmz-native-preload.so";

// Where the interposer library is: `explicit_path` (the -preload flag) if
// given, else $NMZ_NATIVE_PRELOAD, else next to this plugin: preload/ in the
// build tree, the parent directory (libdir/nmz) when installed. The error
// lists every place tried.
sdk::Result<std::string> locate_preload(const std::string& explicit_path);

}  // namespace nmz::native
