// SPDX-License-Identifier: Apache-2.0
#include "mount_checks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace nmz::plugins::fs {
namespace {

sdk::Status invalid_dir(const std::string& flag, const std::string& path, const std::string& why) {
  return sdk::Status::invalid("nmz inspectors fs: flag -" + flag + " \"" + path + "\": " + why);
}

// mountinfo escapes blanks and backslashes as octal.
std::string unescape_mountinfo(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool octal = text[i] == '\\' && i + 3 < text.size();
    for (std::size_t k = 1; octal && k <= 3; ++k) octal = text[i + k] >= '0' && text[i + k] <= '7';
    if (octal) {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The filesystem type mounted exactly at `path`, or "" when none is.
std::string mounted_type(const std::string& path) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  std::string found;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point, field;
    fields >> id >> parent >> devno >> root >> point;
    if (unescape_mountinfo(point) != path) continue;
    while (fields >> field && field != "-") {
    }
    fields >> found;  // the last mount on top wins
  }
  return found;
}

bool has_fusermount3() {
  const char* path_env = std::getenv("PATH");
  std::string paths = path_env ? path_env : "/usr/bin:/bin";
  std::istringstream dirs(paths);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (::access((dir + "/fusermount3").c_str(), X_OK) == 0) return true;
  }
  return false;
}

sdk::Result<std::string> existing_dir(const std::string& flag, const std::string& path) {
  if (path.empty()) return sdk::Status::invalid("nmz inspectors fs: flag -" + flag + " is required");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int error = errno;
    if (error == ENOTCONN && flag == "mount-point") {
      return sdk::Status::error(sdk::StatusCode::unavailable,
                                "nmz inspectors fs: -mount-point \"" + path +
                                    "\" is a stale FUSE mount left by an earlier crash (transport endpoint is not "
                                    "connected); remove it with `fusermount3 -u " + path + "` and try again");
    }
    return invalid_dir(flag, path, std::strerror(error));
  }
  if (!S_ISDIR(st.st_mode)) return invalid_dir(flag, path, "not a directory");
  char canonical[PATH_MAX];
  if (!::realpath(path.c_str(), canonical)) return invalid_dir(flag, path, std::strerror(errno));
  return std::string(canonical);
}

}  // namespace

sdk::Result<CheckedDirs> check_mount_dirs(const std::string& original_dir, const std::string& mount_point) {
  auto original = existing_dir("original-dir", original_dir);
  if (!original) return original.status();
  auto mount = existing_dir("mount-point", mount_point);
  if (!mount) return mount.status();
  if (*mount == *original || mount->starts_with(*original == "/" ? *original : *original + "/")) {
    return invalid_dir("mount-point", mount_point,
                       "is inside -original-dir \"" + original_dir +
                           "\" (the mount would serve itself and deadlock); choose a directory outside it");
  }
  if (std::string type = mounted_type(*mount); !type.empty()) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              "nmz inspectors fs: -mount-point \"" + mount_point + "\" is already a mount point (" +
                                  type + "); unmount it (" +
                                  (type.starts_with("fuse") ? "`fusermount3 -u " + *mount + "`" : "umount") +
                                  ") or choose another directory");
  }
  int fuse_fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fuse_fd < 0) {
    int error = errno;
    std::string advice = error == ENOENT ? "load the fuse module (modprobe fuse); in a container, pass the device "
                                           "(--device /dev/fuse)"
                                         : "run nmz as root or give this user access to /dev/fuse";
    return sdk::Status::error(sdk::StatusCode::unavailable, "nmz inspectors fs: cannot open /dev/fuse: " +
                                                                std::string(std::strerror(error)) + "; " + advice);
  }
  ::close(fuse_fd);
  if (!has_fusermount3()) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              "nmz inspectors fs: fusermount3 is not in PATH; it unmounts the mount if nmz is killed "
                              "(Debian package fuse3)");
  }
  return CheckedDirs{*original, *mount};
}

}  // namespace nmz::plugins::fs
