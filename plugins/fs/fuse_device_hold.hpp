// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace nmz::plugins::fs {

// Makes auto_unmount reliable when nmz is killed. fusermount3 unmounts a
// dead session only if opening the mount point fails with ENOTCONN, which
// needs the FUSE connection to be ended by then. A killed process's
// descriptors are released highest number first (Linux runs the deferred
// releases last in, first out), and libfuse leaves the session's device
// below fusermount3's socket: the socket closed first, fusermount3 woke and
// opened the mount point while the connection was still up, the open ended
// in ECONNABORTED, and the mount stayed (1 kill in about 20 on a loaded
// machine). A duplicate of the device above every open descriptor puts its
// release, which ends the connection, ahead of the socket's.
class FuseDeviceHold {
 public:
  // fuse_fd: the session's /dev/fuse descriptor, just after the mount.
  explicit FuseDeviceHold(int fuse_fd) noexcept;
  FuseDeviceHold(const FuseDeviceHold&) = delete;
  FuseDeviceHold& operator=(const FuseDeviceHold&) = delete;
  ~FuseDeviceHold();

  [[nodiscard]] bool held() const noexcept { return fd_ >= 0; }
  // Before an orderly unmount: libfuse closes the device first so that the
  // unmount does not wait on a connection nobody serves any more.
  void release() noexcept;

 private:
  int fd_ = -1;
};

}  // namespace nmz::plugins::fs
