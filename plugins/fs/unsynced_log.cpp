// SPDX-License-Identifier: Apache-2.0
#include "unsynced_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace nmz::plugins::fs {
namespace {

constexpr off_t kBlock = 4096;

}  // namespace

UnsyncedLog::~UnsyncedLog() {
  for (auto& [key, log] : files_) ::close(log.fd);
}

UnsyncedLog::FileLog* UnsyncedLog::log_for(FileKey key, int path_fd, int& error) {
  auto it = files_.find(key);
  if (it != files_.end()) return &it->second;
  // The caller's own descriptor may be write-only: reopen for reading too.
  std::string proc = "/proc/self/fd/" + std::to_string(path_fd);
  int fd = ::open(proc.c_str(), O_RDWR | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    error = errno;
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  FileLog& log = files_[key];
  log.fd = fd;
  log.synced_size = st.st_size;
  return &log;
}

int UnsyncedLog::save_range(FileLog& log, off_t offset, off_t length) {
  off_t end = std::min(offset + length, log.synced_size);
  for (off_t block = offset / kBlock; block * kBlock < end; ++block) {
    if (log.saved_blocks.contains(block)) continue;
    std::string bytes(static_cast<std::size_t>(kBlock), '\0');
    ssize_t got = ::pread(log.fd, bytes.data(), bytes.size(), block * kBlock);
    if (got < 0) return errno;
    bytes.resize(static_cast<std::size_t>(got));
    log.saved_blocks.emplace(block, std::move(bytes));
  }
  return 0;
}

int UnsyncedLog::before_change(FileKey key, int path_fd, off_t offset, off_t length) {
  std::lock_guard lock(mutex_);
  int error = 0;
  FileLog* log = log_for(key, path_fd, error);
  return log ? save_range(*log, offset, length) : error;
}

int UnsyncedLog::before_resize(FileKey key, int path_fd, off_t new_size) {
  std::lock_guard lock(mutex_);
  int error = 0;
  FileLog* log = log_for(key, path_fd, error);
  if (!log) return error;
  struct stat st {};
  if (::fstat(log->fd, &st) != 0) return errno;
  return new_size < st.st_size ? save_range(*log, new_size, st.st_size - new_size) : 0;
}

void UnsyncedLog::synced(FileKey key) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(key);
  if (it == files_.end()) return;
  ::close(it->second.fd);
  files_.erase(it);
}

std::vector<UnsyncedLog::FileKey> UnsyncedLog::rollback() {
  std::lock_guard lock(mutex_);
  std::vector<FileKey> restored;
  for (auto& [key, log] : files_) {
    // Best effort: a crash leaves no one to report a failed restore to.
    for (const auto& [block, bytes] : log.saved_blocks) {
      (void)!::pwrite(log.fd, bytes.data(), bytes.size(), block * kBlock);
    }
    (void)!::ftruncate(log.fd, log.synced_size);
    ::close(log.fd);
    restored.push_back(key);
  }
  files_.clear();
  return restored;
}

}  // namespace nmz::plugins::fs
