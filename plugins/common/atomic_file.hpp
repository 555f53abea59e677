// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string_view>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins {

// Replaces `path` with `contents` so that a reader (or a crash) sees the old
// file or the new one, never part of one: a temporary file beside it,
// fsync, rename over it, fsync of the directory. For plugins that keep state
// across runs; the core has its own (plugins see only the SDK).
sdk::Status replace_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace nmz::plugins
