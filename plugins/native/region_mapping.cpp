// SPDX-License-Identifier: Apache-2.0
#include "region_mapping.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nmz::native {

sdk::Result<std::unique_ptr<RegionMapping>> RegionMapping::create(std::uint64_t replay_capacity,
                                                                  std::uint64_t record_capacity,
                                                                  std::uint64_t events_capacity) {
  auto failed = [](const char* what) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              std::string("cannot create the shared region: ") + what + ": " + std::strerror(errno));
  };
  int fd = memfd_create(kMemfdName, MFD_CLOEXEC);
  if (fd < 0) return failed("memfd_create");
  std::size_t size = region_bytes(replay_capacity, record_capacity, events_capacity);
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    auto status = failed("ftruncate");
    close(fd);
    return status;
  }
  void* mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapping == MAP_FAILED) {
    auto status = failed("mmap");
    close(fd);
    return status;
  }
  auto* header = static_cast<RegionHeader*>(mapping);
  header->magic = kRegionMagic;
  header->version = kRegionVersion;
  header->replay_capacity = replay_capacity;
  header->record_capacity = record_capacity;
  header->events_capacity = events_capacity;
  return std::unique_ptr<RegionMapping>(new RegionMapping(fd, header, size));
}

RegionMapping::~RegionMapping() {
  munmap(header_, size_);
  close(fd_);
}

}  // namespace nmz::native
