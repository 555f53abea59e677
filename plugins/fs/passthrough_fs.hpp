// SPDX-License-Identifier: Apache-2.0
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "operation_gate.hpp"
#include "unsynced_log.hpp"

namespace nmz::plugins::fs {

struct PassthroughSettings {
  std::string original_dir;  // canonical absolute path
  double cache_timeout = 1.0;  // seconds the kernel may cache attributes and entries
  bool writeback = false;
  bool track_unsynced = false;
};

// A POSIX passthrough filesystem on libfuse's low-level API, mirroring
// `original_dir`: each FUSE inode holds an O_PATH descriptor of the backing
// file (so renames, hard links and unlinked-but-open files behave), each open
// file its own descriptor. Every operation asks the OperationGate first
// ("post-" ones after the real call) and applies its verdict.
//
// Locks (POSIX, OFD, flock) are left to the kernel, which keeps them for the
// mount; permissions are checked by the kernel (default_permissions), and
// new files are given to the caller's uid/gid.
class PassthroughFs {
 public:
  PassthroughFs(PassthroughSettings settings, OperationGate& gate, std::function<void(std::string_view)> warn);
  PassthroughFs(const PassthroughFs&) = delete;
  PassthroughFs& operator=(const PassthroughFs&) = delete;
  ~PassthroughFs();

  // Opens the root; an errno on failure.
  int open_root();
  static const fuse_lowlevel_ops& operations() noexcept;
  // The session the kernel notifications go to (set once mounted).
  void set_session(fuse_session* session) noexcept { session_ = session; }
  // Waits for background cache invalidations (call before destroying the session).
  void join_background();

  struct Inode;
  struct Handlers;

 private:
  friend struct Handlers;

  Inode* inode(fuse_ino_t ino) noexcept;
  int do_lookup(fuse_ino_t parent, const char* name, fuse_entry_param& entry);
  // A lookup of a name whose inode the kernel already holds (it asks again
  // once the entry's cache timeout passed): one stat by name, no descriptor
  // opened and closed again. EAGAIN when the inode is not held (do_lookup).
  int lookup_known(fuse_ino_t parent, const char* name, fuse_entry_param& entry);
  // The kernel gets one more reference to `node`, found as `name` in
  // `parent`: counts it, records the name, releases `lock` (table_mutex_)
  // and fills in what `entry` still lacks.
  void hand_out(std::unique_lock<std::mutex>& lock, Inode* node, Inode* parent, std::string_view name,
                fuse_entry_param& entry);
  void forget(Inode* node, std::uint64_t count);
  std::string path_of(Inode* node);
  std::string path_of(fuse_ino_t parent, const char* name);
  // Records that `node` is now `name` in `parent`; returns the old parent,
  // whose reference the caller drops (forget) once table_mutex_ is released.
  Inode* rename_locked(Inode* node, Inode* parent, std::string_view name);
  // After a rename through the mount: the inode now at `name` in `parent`.
  void renamed(int parent_fd, Inode* parent, const char* name);
  Verdict check(FsOp op, fuse_ino_t ino, const char* name = nullptr);
  int apply(const Verdict& verdict);
  void lose_unsynced();
  void set_owner(fuse_req_t req, int dir_fd, const char* name, mode_t mode);

  PassthroughSettings settings_;
  OperationGate& gate_;
  std::function<void(std::string_view)> warn_;
  fuse_session* session_ = nullptr;
  std::unique_ptr<Inode> root_;
  bool close_is_silent_ = false;  // close() on the root's filesystem reports nothing
  std::mutex table_mutex_;
  struct KeyHash {
    std::size_t operator()(const UnsyncedLog::FileKey& key) const noexcept {
      return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(key.first) * 0x9e3779b97f4a7c15ULL ^ key.second);
    }
  };
  std::unordered_map<UnsyncedLog::FileKey, Inode*, KeyHash> table_;
  UnsyncedLog unsynced_;
  std::mutex background_mutex_;
  std::vector<std::thread> background_;
};

}  // namespace nmz::plugins::fs
