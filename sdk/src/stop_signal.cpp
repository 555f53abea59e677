// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/stop_signal.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace nmz::sdk {

StopSignal::StopSignal() noexcept : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

StopSignal::~StopSignal() {
  if (fd_ >= 0) ::close(fd_);
}

void StopSignal::raise() noexcept {
  std::uint64_t one = 1;
  // Only fails when the counter would overflow: it is raised already.
  (void)!::write(fd_, &one, sizeof one);
}

bool StopSignal::raised() const noexcept {
  pollfd watched{fd_, POLLIN, 0};
  return ::poll(&watched, 1, 0) > 0;
}

}  // namespace nmz::sdk
