// SPDX-License-Identifier: Apache-2.0
#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace nmz::plugins {
namespace {

// Closes on every path out, so that each failure below is one line.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

}  // namespace

sdk::Status replace_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path staged = path.string() + ".staged-" + std::to_string(::getpid());
  auto failure = [&](const std::filesystem::path& where, const char* step) {
    std::string message = where.string() + ": " + step + ": " + std::strerror(errno);
    ::unlink(staged.c_str());
    return sdk::Status::error(sdk::StatusCode::unavailable, message);
  };
  {
    Descriptor file(::open(staged.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (file.get() < 0) return failure(staged, "cannot create");
    if (!write_all(file.get(), contents)) return failure(staged, "cannot write");
    if (::fsync(file.get()) != 0) return failure(staged, "cannot fsync");
  }
  if (::rename(staged.c_str(), path.c_str()) != 0) return failure(path, "cannot rename into place");
  const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  Descriptor directory(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() >= 0) ::fsync(directory.get());
  return sdk::Status::ok();
}

}  // namespace nmz::plugins
