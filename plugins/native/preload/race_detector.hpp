// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

// Finds the data races of the run as they happen, for race-directed
// scheduling: a vector-clock happens-before detector over the controlled
// threads (FastTrack-like, Flanagan and Freund, PLDI 2009, simplified). The
// order comes from the synchronisation the interposer sees: thread creation
// and exit/join, locks, condition variables, semaphores, barriers, atomic
// operations. Two accesses to the same address by different threads, at
// least one a write, with no order between them, are a race; the pair of
// instructions goes to report_race().
//
// Imprecision is allowed one way only: a false race costs a few extra
// scheduling points, never a failure. So the tables are fixed-size and
// simply stop tracking when full, threads beyond the first kTrackedThreads
// are not tracked, and memory reused by malloc is not reset. Every call is
// made by a controlled thread; they are serialised by the detector's own
// lock (detached threads run concurrently).
namespace nmz::native::preload::happens_before {

inline constexpr std::uint32_t kTrackedThreads = 64;

namespace detail {
extern bool g_enabled;
}

// Detection is on (set once, before a second thread exists).
inline bool enabled() { return detail::g_enabled; }
void enable();

// The thread `child` was created by `parent`: everything the parent did so
// far happens before the child's start.
void thread_created(std::uint32_t parent, std::uint32_t child);

// The calling thread released / acquired `object` (unlock, post, signal,
// exit; lock, wait, join). An atomic operation is both.
void record_release(const void* object);
void record_acquire(const void* object);
void acquire_release(const void* object);

// What the interposed calls use: nothing to do unless detection is on.
inline void released(const void* object) {
  if (enabled()) record_release(object);
}
inline void acquired(const void* object) {
  if (enabled()) record_acquire(object);
}

// The calling thread accesses `address` from the instruction at `pc`.
void access(const void* address, std::uintptr_t pc, bool write);

}  // namespace nmz::native::preload::happens_before
