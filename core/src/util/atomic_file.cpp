// SPDX-License-Identifier: Apache-2.0
#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace nmz::core {

namespace {
sdk::Status io_error(const std::filesystem::path& path, const char* what) {
  return sdk::Status::error(sdk::StatusCode::unavailable,
                            path.string() + ": " + what + ": " + std::strerror(errno));
}
}  // namespace

sdk::Status write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(temporary, "cannot create");
  std::string_view rest = contents;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto status = io_error(temporary, "cannot write");
      ::close(fd);
      ::unlink(temporary.c_str());
      return status;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    auto status = io_error(temporary, "cannot fsync");
    ::close(fd);
    ::unlink(temporary.c_str());
    return status;
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    auto status = io_error(path, "cannot rename into place");
    ::unlink(temporary.c_str());
    return status;
  }
  auto parent = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return sdk::Status::ok();
}

}  // namespace nmz::core
