// SPDX-License-Identifier: Apache-2.0
#include "experiment/run_slot.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace nmz::core::experiment {

namespace {
std::filesystem::path lock_dir() {
  if (::access("/run/lock", W_OK) == 0) return "/run/lock";
  return std::filesystem::temp_directory_path();
}
}  // namespace

sdk::Result<RunSlot> RunSlot::acquire() {
  const auto dir = lock_dir();
  for (int number = kFirstNumber; number < kFirstNumber + kNumbers; ++number) {
    auto path = dir / ("nmz-run-slot-" + std::to_string(number) + ".lock");
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return RunSlot(fd, number);
    ::close(fd);
  }
  return sdk::Status::error(sdk::StatusCode::unavailable,
                            "no free run slot (NFQUEUE numbers " + std::to_string(kFirstNumber) + " to " +
                                std::to_string(kFirstNumber + kNumbers - 1) + " all held, locks in " + dir.string() + ")");
}

RunSlot::~RunSlot() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace nmz::core::experiment
