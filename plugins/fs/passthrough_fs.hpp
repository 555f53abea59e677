// SPDX-License-Identifier: Apache-2.0
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
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
  // The session the kernel notifications go to (set once mounted); starts
  // watching open files for changes made behind nmz's back.
  void set_session(fuse_session* session);
  // Stops the watch; call while the FUSE loop still answers requests (a
  // watch dropping pages waits for reads that workers answer).
  void stop_watching();
  // Stops the watch and waits for background cache invalidations (call
  // before destroying the session).
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
  // Whether the kernel should refresh attributes on every read and drop its
  // cached pages whenever it sees a new mtime (FUSE_CAP_AUTO_INVAL_DATA).
  // Only without an attribute cache: otherwise nmz itself tells what was
  // changed behind its back (watch_loop, opened), and so can keep the pages
  // written through the mount.
  bool kernel_checks_every_read() const noexcept { return settings_.cache_timeout <= 0; }
  // nmz's own change of `node`'s data or attributes, run under its
  // data_mutex: the kernel's cache still counts as matching the backing
  // file afterwards, unless the file had been changed behind nmz's back
  // before (then the next open or watch drops the pages).
  template <class Change>
  auto change_own(Inode* node, Change change) -> decltype(change());
  // A new handle of `node`: whether the kernel's cached pages still match
  // the backing file (so the open may keep them). When they no longer do,
  // the kernel is also told that its attributes are stale.
  bool opened(Inode* node);
  void closed(Inode* node) noexcept;
  // Every -cache-timeout: files open on the mount whose backing file was
  // changed behind nmz's back lose their cached pages and attributes.
  void watch_loop();
  std::vector<fuse_ino_t> open_files_changed_behind();
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
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool watch_stop_ = false;
  std::thread watcher_;
};

}  // namespace nmz::plugins::fs
