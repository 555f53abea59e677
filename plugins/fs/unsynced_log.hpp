// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace nmz::plugins::fs {

// The "lose-unsynced" crash simulation: an undo log of file contents.
// Before data is changed (write, truncate, fallocate, copy_file_range), the
// bytes it overwrites are saved, once per 4 KiB block and per file, along with
// the file's size at its last sync; fsync/fdatasync of a file forgets its log.
// rollback() puts every logged file back as it was at its last sync, which
// is what a machine crash does to data that was never synced. (An undo log
// rather than LazyFS' write-back buffer: reads and unsynced writes stay on
// the fast path and only the first write to each block pays a read.)
//
// Only file data and sizes are rolled back; creations, renames and unlinks
// are not. Memory grows with the unsynced data overwritten. Thread-safe.
class UnsyncedLog {
 public:
  using FileKey = std::pair<dev_t, ino_t>;

  UnsyncedLog() = default;
  UnsyncedLog(const UnsyncedLog&) = delete;
  UnsyncedLog& operator=(const UnsyncedLog&) = delete;
  ~UnsyncedLog();

  // `path_fd` names the file (an O_PATH descriptor is enough). Returns 0 or
  // the errno that prevented saving (the change must then not happen).
  int before_change(FileKey key, int path_fd, off_t offset, off_t length);
  // Before the size becomes `new_size` (bytes past it are saved).
  int before_resize(FileKey key, int path_fd, off_t new_size);
  void synced(FileKey key);
  // Restores every logged file; returns the files it restored.
  std::vector<FileKey> rollback();

 private:
  struct FileLog {
    int fd = -1;
    off_t synced_size = 0;
    std::map<off_t, std::string> saved_blocks;  // block index -> bytes at the last sync
  };

  FileLog* log_for(FileKey key, int path_fd, int& error);
  int save_range(FileLog& log, off_t offset, off_t length);

  std::mutex mutex_;
  std::map<FileKey, FileLog> files_;
};

}  // namespace nmz::plugins::fs
