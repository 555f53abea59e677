// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>

#include <nmz/sdk/status.hpp>

#include "region.hpp"

namespace nmz::native {

// The inspector's side of the shared region: a close-on-exec memfd (the
// target inherits it through an explicit dup2), mapped read-write. Its pages
// are allocated only when touched, so a large record capacity costs nothing
// until a run uses it.
class RegionMapping {
 public:
  static sdk::Result<std::unique_ptr<RegionMapping>> create(std::uint64_t replay_capacity,
                                                            std::uint64_t record_capacity,
                                                            std::uint64_t events_capacity);
  RegionMapping(const RegionMapping&) = delete;
  RegionMapping& operator=(const RegionMapping&) = delete;
  ~RegionMapping();

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] RegionHeader* header() const { return header_; }

 private:
  RegionMapping(int fd, RegionHeader* header, std::size_t size) : fd_(fd), header_(header), size_(size) {}
  int fd_;
  RegionHeader* header_;
  std::size_t size_;
};

}  // namespace nmz::native
