// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::fs {

struct CheckedDirs {
  std::string original_dir;  // canonical
  std::string mount_point;   // canonical
};

// Everything that can be checked before mounting, each failure with what to
// do about it: both directories exist and are directories, the mount point
// is neither inside the original directory nor a mount point already (a
// stale FUSE mount from a crash is named as such, with the command that
// removes it), /dev/fuse can be opened and fusermount3 (for auto_unmount)
// is installed.
sdk::Result<CheckedDirs> check_mount_dirs(const std::string& original_dir, const std::string& mount_point);

}  // namespace nmz::plugins::fs
