// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <bitset>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::fs {

// The inspection points of the filesystem inspector. Each has one event
// name; "pre-" ones are decided before the real operation runs, "post-" ones
// after it (Namazu hooked read and opendir after the real call).
enum class FsOp : std::size_t {
  lookup,
  getattr,
  setattr,
  truncate,
  readlink,
  mknod,
  mkdir,
  unlink,
  rmdir,
  symlink,
  rename,
  link,
  open,
  read,
  write,
  flush,
  fsync,
  fdatasync,
  opendir,
  readdir,
  fsyncdir,
  statfs,
  setxattr,
  getxattr,
  listxattr,
  removexattr,
  create,
  fallocate,
  copy_file_range,
  count_,
};

inline constexpr std::size_t kFsOpCount = static_cast<std::size_t>(FsOp::count_);
using FsOpSet = std::bitset<kFsOpCount>;

// "pre-write", "post-read", ...
std::string_view fs_op_name(FsOp op) noexcept;
bool is_fsync_op(FsOp op) noexcept;

// Parses `-ops` values: comma-separated event names ("pre-write"), bare
// operation names ("write"), and the groups "namazu", "default", "all" and
// "none"; "-NAME" removes an operation from what came before it.
sdk::Result<FsOpSet> parse_fs_ops(const std::vector<std::string>& items);

FsOpSet default_fs_ops();

}  // namespace nmz::plugins::fs
