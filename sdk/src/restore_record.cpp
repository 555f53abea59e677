// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/restore_record.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

namespace nmz::sdk {
namespace {

std::atomic<unsigned> g_next_record{0};

Status write_replacing(const std::filesystem::path& path, const std::string& text) {
  auto temporary = path;
  temporary += ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error(StatusCode::unavailable, temporary.string() + ": " + std::strerror(errno));
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return Status::error(StatusCode::unavailable, path.string() + ": " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace

std::filesystem::path restore_record_dir() {
  if (const char* dir = std::getenv("NMZ_RESTORE_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (::access("/run", W_OK) == 0) return "/run/nmz";
  return std::filesystem::temp_directory_path() / "nmz-restore";
}

Result<RestoreRecord> RestoreRecord::create(const std::string& what) {
  const auto dir = restore_record_dir();
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::error(StatusCode::unavailable, "restore records: " + dir.string() + ": " + error.message());
  auto base = dir / (std::to_string(::getpid()) + "-" + std::to_string(g_next_record++));
  auto lock_path = base;
  lock_path += ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error(StatusCode::unavailable, lock_path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int lock_error = errno;
    ::close(fd);
    return Status::error(StatusCode::unavailable, lock_path.string() + ": " + std::strerror(lock_error));
  }
  RestoreRecord record(std::move(base), fd, what);
  if (auto status = record.set_steps({}); !status) return status;
  return record;
}

RestoreRecord::RestoreRecord(RestoreRecord&& other) noexcept
    : base_(std::move(other.base_)), lock_fd_(std::exchange(other.lock_fd_, -1)), what_(std::move(other.what_)) {}

RestoreRecord::~RestoreRecord() {
  if (lock_fd_ < 0) return;
  auto json = base_;
  json += ".json";
  auto lock = base_;
  lock += ".lock";
  ::unlink(json.c_str());
  ::unlink(lock.c_str());
  ::close(lock_fd_);
}

Status RestoreRecord::set_steps(const std::vector<RestoreStep>& steps) { return set_steps(steps, "{}"); }

Status RestoreRecord::set_steps(const std::vector<RestoreStep>& steps, const std::string& extra_json_object) {
  auto record = nlohmann::json::parse(extra_json_object, nullptr, false);
  if (!record.is_object()) return Status::invalid("restore record: extra members are not a JSON object");
  record["what"] = what_;
  record["owner_pid"] = ::getpid();
  auto& list = record["steps"] = nlohmann::json::array();
  for (const auto& step : steps) list.push_back({{"argv", step.argv}, {"input", step.input}});
  auto path = base_;
  path += ".json";
  return write_replacing(path, record.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace nmz::sdk
