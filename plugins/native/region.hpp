// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>

// The memory the native inspector shares with the controlled process (a
// memfd inherited across exec): the inspector writes the scheduler's
// parameters and a schedule to replay before the target starts; the
// target's interposer writes its decisions and statistics as it goes. It is
// shared memory rather than a file written at exit so that the decisions of
// a run that crashes (abort, SIGSEGV: the failing runs one wants to replay)
// survive it. Plain data only: both sides are built from this header.
namespace nmz::native {

inline constexpr std::uint32_t kRegionMagic = 0x4e5a4d4eU;  // "NMZN"
inline constexpr std::uint32_t kRegionVersion = 3;
inline constexpr const char* kRegionFdEnv = "NMZ_NATIVE_FD";
inline constexpr const char* kMemfdName = "nmz-native";

// Thread indices are recorded as 16-bit numbers.
inline constexpr std::uint32_t kMaxThreads = 1024;
inline constexpr std::size_t kReportSize = 8192;
inline constexpr std::size_t kHeaderBytes = 16384;

enum class PolicyKind : std::uint32_t { pct = 0, random_walk = 1 };

struct RegionHeader {
  std::uint32_t magic;
  std::uint32_t version;

  // Written by the inspector before the target starts.
  PolicyKind policy;
  std::uint32_t depth;
  std::uint64_t seed;
  std::uint64_t steps;  // PCT's k: the expected number of choice points
  std::int64_t block_budget_ns;
  std::uint32_t io_points;
  std::int32_t deadlock_exit_code;
  // Memory accesses reported by -fsanitize=thread instrumentation are
  // scheduling points too.
  std::uint32_t memory_points;
  std::uint32_t reserved;
  std::uint64_t replay_count;
  std::uint64_t replay_capacity;
  std::uint64_t record_capacity;
  std::uint64_t events_capacity;  // points to log for -events (0: none)

  // Claimed (0 -> pid) by the first process of the tree that starts a
  // second thread; only that process is controlled.
  std::int32_t owner_pid;
  std::uint32_t deadlocked;

  // Written by the controlled process, under its scheduler lock.
  std::uint64_t points;
  std::uint64_t decisions;  // choice points (two or more threads could run)
  std::uint64_t threads;
  std::uint64_t steals;  // threads declared blocked outside a scheduling point
  std::uint64_t divergences;  // replayed decisions that named a thread that could not run
  std::uint64_t events_count;  // points logged (may exceed events_capacity)
  char report[kReportSize];  // the deadlock report, NUL-terminated
};
static_assert(sizeof(RegionHeader) <= kHeaderBytes);

// One scheduling point, logged for -events. `object_id` numbers the objects
// in the order the run first used them (0: none), which, unlike addresses,
// is the same in every run of a deterministic program.
struct PointRecord {
  std::uint64_t address;
  std::uint32_t object_id;
  std::uint16_t thread;
  std::uint8_t op;
  std::uint8_t blocked;  // 1: the thread could not proceed and waits on the object
};

// Layout: header, then replay_capacity uint16 thread indices to replay,
// record_capacity uint16 thread indices decided, and (8-aligned)
// events_capacity PointRecords.
inline constexpr std::size_t events_offset(std::uint64_t replay_capacity, std::uint64_t record_capacity) {
  return (kHeaderBytes + 2 * static_cast<std::size_t>(replay_capacity + record_capacity) + 7) / 8 * 8;
}
inline constexpr std::size_t region_bytes(std::uint64_t replay_capacity, std::uint64_t record_capacity,
                                          std::uint64_t events_capacity) {
  return events_offset(replay_capacity, record_capacity) + sizeof(PointRecord) * events_capacity;
}
inline std::uint16_t* replay_array(RegionHeader* header) {
  return reinterpret_cast<std::uint16_t*>(reinterpret_cast<char*>(header) + kHeaderBytes);
}
inline std::uint16_t* record_array(RegionHeader* header) { return replay_array(header) + header->replay_capacity; }
inline PointRecord* events_array(RegionHeader* header) {
  return reinterpret_cast<PointRecord*>(reinterpret_cast<char*>(header) +
                                        events_offset(header->replay_capacity, header->record_capacity));
}

}  // namespace nmz::native
