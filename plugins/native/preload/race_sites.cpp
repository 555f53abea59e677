// SPDX-License-Identifier: Apache-2.0
#include "race_sites.hpp"

#include <fcntl.h>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "race_file.hpp"

namespace nmz::native::preload {

namespace {

// Absolute addresses of the racing instructions listed in the file, fixed
// before a second thread exists and read lock-free. Races found during the
// run are not added: the run's scheduling points depend on the file alone,
// so a seed replays the same schedule as long as the file is the same.
constexpr std::uint32_t kSiteSlots = 8192;
std::atomic<std::uintptr_t> g_sites[kSiteSlots];
std::uint32_t g_site_count = 0;

// The pairs already in the file (unordered), so that each is appended once.
constexpr std::uint32_t kPairSlots = 8192;
struct Pair {
  std::uintptr_t low;
  std::uintptr_t high;
};
Pair g_pairs[kPairSlots];
std::uint32_t g_pair_count = 0;

bool g_directed = false;
int g_file = -1;

std::uint32_t slot_of(std::uintptr_t key, std::uint32_t slots) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(key) * 0x9e3779b97f4a7c15ULL) >> 40) % slots;
}

void add_site(std::uintptr_t pc) {
  for (std::uint32_t slot = slot_of(pc, kSiteSlots);; slot = (slot + 1) % kSiteSlots) {
    std::uintptr_t there = g_sites[slot].load(std::memory_order_relaxed);
    if (there == pc) return;
    if (there == 0) {
      if (g_site_count >= kSiteSlots / 2) return;  // keep probes short
      ++g_site_count;
      g_sites[slot].store(pc, std::memory_order_release);
      return;
    }
  }
}

// Adds the pair; false when it was known already (or the table is full).
bool add_pair(std::uintptr_t a, std::uintptr_t b) {
  Pair pair{a < b ? a : b, a < b ? b : a};
  for (std::uint32_t slot = slot_of(pair.low * 31 + pair.high, kPairSlots);; slot = (slot + 1) % kPairSlots) {
    Pair& there = g_pairs[slot];
    if (there.low == pair.low && there.high == pair.high) return false;
    if (there.low == 0 && there.high == 0) {
      if (g_pair_count >= kPairSlots / 2) return false;
      ++g_pair_count;
      there = pair;
      return true;
    }
  }
}

// A loaded object's name in the races file: its file name, or `exe` for
// the program (which the loader lists with an empty name).
std::string_view module_name(const dl_phdr_info& info) {
  if (info.dlpi_name == nullptr || info.dlpi_name[0] == '\0') return kProgramModule;
  std::string_view path(info.dlpi_name);
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool contains(const dl_phdr_info& info, std::uintptr_t pc) {
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info.dlpi_phdr[i];
    std::uintptr_t start = info.dlpi_addr + segment.p_vaddr;
    if (segment.p_type == PT_LOAD && pc >= start && pc - start < segment.p_memsz) return true;
  }
  return false;
}

// (module, offset) -> absolute address of the loaded module, 0 if none.
std::uintptr_t absolute(const RaceSite& site) {
  struct Lookup {
    const RaceSite* site;
    std::uintptr_t found;
  } lookup{&site, 0};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* l = static_cast<Lookup*>(data);
        if (module_name(*info) != l->site->module) return 0;
        l->found = info->dlpi_addr + l->site->offset;
        return 1;
      },
      &lookup);
  return lookup.found;
}

// Absolute address -> "module+0xoffset" in `out`.
void name_site(std::uintptr_t pc, char* out, std::size_t size) {
  struct Lookup {
    std::uintptr_t pc;
    char* out;
    std::size_t size;
  } lookup{pc, out, size};
  std::snprintf(out, size, "?+0x%lx", static_cast<unsigned long>(pc));
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* l = static_cast<Lookup*>(data);
        if (!contains(*info, l->pc)) return 0;
        std::string_view name = module_name(*info);
        std::snprintf(l->out, l->size, "%.*s+0x%lx", static_cast<int>(name.size()), name.data(),
                      static_cast<unsigned long>(l->pc - info->dlpi_addr));
        return 1;
      },
      &lookup);
}

void complain(const char* path, const char* what) {
  char message[512];
  int n = std::snprintf(message, sizeof message, "nmz-native: races file %s: %s; race-directed scheduling is off\n",
                        path, what);
  if (n > 0) syscall(SYS_write, 2, message, static_cast<std::size_t>(n) < sizeof message ? n : sizeof message - 1);
}

// Reads the whole file (raw system calls: read() is interposed).
bool load_file(const char* path) {
  int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (fd < 0) {
    complain(path, std::strerror(errno));
    return false;
  }
  char chunk[4096];
  char line[1024];
  std::size_t used = 0;
  bool ok = true;
  auto take_line = [&]() {
    RacePair pair;
    RaceLine kind = parse_race_line(std::string_view(line, used), pair);
    used = 0;
    if (kind == RaceLine::comment) return;
    if (kind == RaceLine::malformed) {
      ok = false;
      return;
    }
    std::uintptr_t first = absolute(pair.first);
    std::uintptr_t second = absolute(pair.second);
    // A module that is not loaded (yet): its instructions cannot be points.
    if (first == 0 || second == 0) return;
    add_site(first);
    add_site(second);
    add_pair(first, second);
  };
  for (;;) {
    long n = syscall(SYS_read, fd, chunk, sizeof chunk);
    if (n <= 0) break;
    for (long i = 0; i < n; ++i) {
      if (chunk[i] == '\n') {
        take_line();
      } else if (used < sizeof line) {
        line[used++] = chunk[i];
      }
    }
  }
  if (used > 0) take_line();
  if (!ok) {
    syscall(SYS_close, fd);
    complain(path, "malformed line");
    return false;
  }
  g_file = fd;
  return true;
}

}  // namespace

bool load_race_sites() {
  const char* path = std::getenv(kRacesFileEnv);
  if (path == nullptr || path[0] == '\0') return false;
  g_directed = load_file(path);
  return g_directed;
}

bool race_directed() { return g_directed; }

bool racy_instruction(std::uintptr_t pc) {
  for (std::uint32_t slot = slot_of(pc, kSiteSlots);; slot = (slot + 1) % kSiteSlots) {
    std::uintptr_t there = g_sites[slot].load(std::memory_order_acquire);
    if (there == pc) return true;
    if (there == 0) return false;
  }
}

void report_race(std::uintptr_t earlier_pc, std::uintptr_t pc) {
  if (!add_pair(earlier_pc, pc) || g_file < 0) return;
  char first[320];
  char second[320];
  name_site(earlier_pc, first, sizeof first);
  name_site(pc, second, sizeof second);
  char line[700];
  int n = std::snprintf(line, sizeof line, "race %s %s\n", first, second);
  // One write per line with O_APPEND: concurrent runs sharing the file
  // interleave whole lines.
  if (n > 0 && static_cast<std::size_t>(n) < sizeof line) syscall(SYS_write, g_file, line, static_cast<std::size_t>(n));
}

}  // namespace nmz::native::preload
