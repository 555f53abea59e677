// SPDX-License-Identifier: Apache-2.0
#include "fs_op.hpp"

#include <algorithm>
#include <array>

namespace nmz::plugins::fs {
namespace {

constexpr std::array<std::string_view, kFsOpCount> kNames{
    "pre-lookup",   "pre-getattr",   "pre-setattr",  "pre-truncate",        "pre-readlink",  "pre-mknod",
    "pre-mkdir",    "pre-unlink",    "pre-rmdir",    "pre-symlink",         "pre-rename",    "pre-link",
    "pre-open",     "post-read",     "pre-write",    "pre-flush",           "pre-fsync",     "pre-fdatasync",
    "post-opendir", "pre-readdir",   "pre-fsyncdir", "pre-statfs",          "pre-setxattr",  "pre-getxattr",
    "pre-listxattr", "pre-removexattr", "pre-create", "pre-fallocate", "pre-copy-file-range"};

FsOpSet ops_of(std::initializer_list<FsOp> ops) {
  FsOpSet set;
  for (FsOp op : ops) set.set(static_cast<std::size_t>(op));
  return set;
}

FsOpSet namazu_ops() { return ops_of({FsOp::read, FsOp::opendir, FsOp::mkdir, FsOp::rmdir, FsOp::fsync}); }

std::optional<FsOp> op_by_name(std::string_view name) {
  for (std::size_t i = 0; i < kFsOpCount; ++i) {
    std::string_view full = kNames[i];
    std::string_view bare = full.substr(full.find('-') + 1);
    if (name == full || name == bare) return static_cast<FsOp>(i);
  }
  return std::nullopt;
}

std::string known_names() {
  std::string text = "namazu, default, all, none";
  for (auto name : kNames) text += ", " + std::string(name);
  return text;
}

}  // namespace

std::string_view fs_op_name(FsOp op) noexcept { return kNames[static_cast<std::size_t>(op)]; }

bool is_fsync_op(FsOp op) noexcept { return op == FsOp::fsync || op == FsOp::fdatasync || op == FsOp::fsyncdir; }

FsOpSet default_fs_ops() {
  // What decides durability and ordering: data reaching files, syncs, and
  // namespace changes. Reads and directory listings (Namazu's post-read and
  // post-opendir) are left out: an event per read costs more than the read
  // (bench/fs); "-ops default,namazu" adds them.
  return ops_of({FsOp::write, FsOp::fsync, FsOp::fdatasync, FsOp::fsyncdir, FsOp::create, FsOp::mknod, FsOp::mkdir,
                 FsOp::rmdir, FsOp::unlink, FsOp::rename, FsOp::link, FsOp::symlink, FsOp::truncate,
                 FsOp::fallocate, FsOp::copy_file_range});
}

sdk::Result<FsOpSet> parse_fs_ops(const std::vector<std::string>& items) {
  FsOpSet set;
  for (const std::string& item : items) {
    std::size_t begin = 0;
    while (begin <= item.size()) {
      std::size_t comma = std::min(item.find(',', begin), item.size());
      std::string_view token = std::string_view(item).substr(begin, comma - begin);
      begin = comma + 1;
      bool remove = token.starts_with('-');
      if (remove) token.remove_prefix(1);
      FsOpSet named;
      if (token == "namazu") {
        named = namazu_ops();
      } else if (token == "default") {
        named = default_fs_ops();
      } else if (token == "all") {
        named.set();
      } else if (token == "none") {
        set.reset();
        continue;
      } else if (auto op = op_by_name(token)) {
        named.set(static_cast<std::size_t>(*op));
      } else {
        return sdk::Status::invalid("flag -ops: unknown operation \"" + std::string(token) + "\" (expected " +
                                    known_names() + ", or -NAME to remove one)");
      }
      set = remove ? (set & ~named) : (set | named);
    }
  }
  return set;
}

}  // namespace nmz::plugins::fs
