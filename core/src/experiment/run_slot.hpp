// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nmz/sdk/status.hpp>

namespace nmz::core::experiment {

// A number no other run on this machine holds right now, so that runs
// side by side (--parallel, or several `nmz run`) get their own NFQUEUE
// number (NMZ_NFQ_NUMBER) and network namespace name (NMZ_NETNS). Held
// with an flock on a file under /run/lock (or the temp directory), so a
// crashed nmz releases it.
class RunSlot {
 public:
  static constexpr int kFirstNumber = 4200;
  static constexpr int kNumbers = 1000;

  static sdk::Result<RunSlot> acquire();
  RunSlot(RunSlot&& other) noexcept : fd_(other.fd_), number_(other.number_) { other.fd_ = -1; }
  RunSlot& operator=(RunSlot&&) = delete;
  RunSlot(const RunSlot&) = delete;
  RunSlot& operator=(const RunSlot&) = delete;
  ~RunSlot();

  [[nodiscard]] int nfq_number() const noexcept { return number_; }
  [[nodiscard]] std::string netns() const { return "nmz" + std::to_string(number_); }

 private:
  RunSlot(int fd, int number) : fd_(fd), number_(number) {}
  int fd_;
  int number_;
};

}  // namespace nmz::core::experiment
