// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string_view>

#include <nmz/sdk/status.hpp>

namespace nmz::core {

// Replaces `path` with `contents` so that a reader (or a crash) sees either
// the old file or the whole new one: write a temporary file beside it,
// fsync, rename over, fsync the directory.
sdk::Status write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace nmz::core
