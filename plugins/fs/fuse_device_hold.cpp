// SPDX-License-Identifier: Apache-2.0
#include "fuse_device_hold.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace nmz::plugins::fs {

namespace {

int highest_open_descriptor(int at_least) noexcept {
  int highest = at_least;
  std::error_code error;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    highest = std::max(highest, std::atoi(it->path().filename().c_str()));
  }
  return highest;
}

}  // namespace

FuseDeviceHold::FuseDeviceHold(int fuse_fd) noexcept
    : fd_(::fcntl(fuse_fd, F_DUPFD_CLOEXEC, highest_open_descriptor(fuse_fd) + 1)) {}

FuseDeviceHold::~FuseDeviceHold() { release(); }

void FuseDeviceHold::release() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace nmz::plugins::fs
