// SPDX-License-Identifier: Apache-2.0
// The fs benchmark's workloads, in C++ so that the measured time is the
// filesystem's and not an interpreter's. Prints the elapsed seconds.
//   fs_workload seq-write FILE MIB      write FILE with 1 MiB writes
//   fs_workload seq-read FILE           read FILE with 1 MiB reads
//   fs_workload seq-read-cold FILE      the same after dropping FILE's cached pages (not timed),
//                                       so that every byte comes through the filesystem
//   fs_workload rand-read FILE COUNT    COUNT 4 KiB preads at random aligned offsets
//   fs_workload create DIR COUNT        create COUNT 1 KiB files
//   fs_workload stat DIR COUNT          stat them
//   fs_workload unlink DIR COUNT        unlink them
//   fs_workload create-interleaved COUNT BLOCK DIR...
//   fs_workload unlink-interleaved COUNT BLOCK DIR...
//                                       create (unlink) COUNT files in every DIR, BLOCK at a time
//                                       in each DIR in turn (the first DIR rotating), and print
//                                       each DIR's total seconds: the machine's load, which drifts
//                                       by more than the differences measured, falls on all alike
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "fs_workload: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

std::string name_of(const std::string& dir, long i) { return dir + "/f" + std::to_string(i); }

void create_file(const std::string& name, const std::vector<char>& buffer) {
  int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) die("create");
  if (::write(fd, buffer.data(), 1024) != 1024) die("write");
  ::close(fd);
}

void unlink_file(const std::string& name) {
  if (::unlink(name.c_str()) != 0) die("unlink");
}

int interleaved(bool create, long count, long block, const std::vector<std::string>& dirs,
                const std::vector<char>& buffer) {
  if (count <= 0 || block <= 0 || dirs.empty()) {
    std::fprintf(stderr, "fs_workload: interleaved modes need COUNT > 0, BLOCK > 0 and a DIR\n");
    return 2;
  }
  std::vector<std::chrono::duration<double>> took(dirs.size());
  for (long first = 0, turn = 0; first < count; first += block, ++turn) {
    for (std::size_t k = 0; k < dirs.size(); ++k) {
      const std::size_t d = (k + static_cast<std::size_t>(turn)) % dirs.size();
      auto start = std::chrono::steady_clock::now();
      for (long i = first; i < std::min(count, first + block); ++i) {
        if (create) {
          create_file(name_of(dirs[d], i), buffer);
        } else {
          unlink_file(name_of(dirs[d], i));
        }
      }
      took[d] += std::chrono::steady_clock::now() - start;
    }
  }
  for (std::size_t d = 0; d < dirs.size(); ++d) std::printf(d == 0 ? "%.6f" : " %.6f", took[d].count());
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: fs_workload seq-write|seq-read|seq-read-cold|rand-read|create|stat|unlink PATH [N]\n"
                 "       fs_workload create-interleaved|unlink-interleaved COUNT BLOCK DIR...\n");
    return 2;
  }
  std::string mode = argv[1];
  if ((mode == "create-interleaved" || mode == "unlink-interleaved") && argc >= 5) {
    return interleaved(mode == "create-interleaved", std::atol(argv[2]), std::atol(argv[3]),
                       std::vector<std::string>(argv + 4, argv + argc), std::vector<char>(1024, 'n'));
  }
  std::string path = argv[2];
  long count = argc > 3 ? std::atol(argv[3]) : 0;
  constexpr std::size_t kMiB = 1 << 20;
  std::vector<char> buffer(kMiB, 'n');
  int cold_fd = -1;
  if (mode == "seq-read-cold") {
    cold_fd = ::open(path.c_str(), O_RDONLY);
    if (cold_fd < 0 || ::posix_fadvise(cold_fd, 0, 0, POSIX_FADV_DONTNEED) != 0) die(path);
  }
  auto start = std::chrono::steady_clock::now();
  if (mode == "seq-write") {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(path);
    for (long i = 0; i < count; ++i) {
      if (::write(fd, buffer.data(), kMiB) != static_cast<ssize_t>(kMiB)) die("write");
    }
    if (::close(fd) != 0) die("close");
  } else if (mode == "seq-read" || mode == "seq-read-cold") {
    int fd = cold_fd >= 0 ? cold_fd : ::open(path.c_str(), O_RDONLY);
    if (fd < 0) die(path);
    while (true) {
      ssize_t got = ::read(fd, buffer.data(), kMiB);
      if (got < 0) die("read");
      if (got == 0) break;
    }
    ::close(fd);
  } else if (mode == "rand-read") {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) die(path);
    struct stat st {};
    ::fstat(fd, &st);
    std::mt19937_64 random(42);
    std::uniform_int_distribution<off_t> block(0, st.st_size / 4096 - 1);
    for (long i = 0; i < count; ++i) {
      if (::pread(fd, buffer.data(), 4096, block(random) * 4096) != 4096) die("pread");
    }
    ::close(fd);
  } else if (mode == "create") {
    for (long i = 0; i < count; ++i) create_file(name_of(path, i), buffer);
  } else if (mode == "stat") {
    struct stat st {};
    for (long i = 0; i < count; ++i) {
      if (::stat(name_of(path, i).c_str(), &st) != 0) die("stat");
    }
  } else if (mode == "unlink") {
    for (long i = 0; i < count; ++i) unlink_file(name_of(path, i));
  } else {
    std::fprintf(stderr, "fs_workload: unknown mode %s\n", mode.c_str());
    return 2;
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("%.6f\n", took.count());
  return 0;
}
