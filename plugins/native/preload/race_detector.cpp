// SPDX-License-Identifier: Apache-2.0
#include "race_detector.hpp"

#include <cstring>

#include "futex_lock.hpp"
#include "race_sites.hpp"
#include "scheduler.hpp"

namespace nmz::native::preload::happens_before {

namespace detail {
bool g_enabled = false;
}

namespace {

using Clock = std::uint32_t;

struct VectorClock {
  Clock at[kTrackedThreads];

  void join(const VectorClock& other) {
    for (std::uint32_t i = 0; i < kTrackedThreads; ++i) {
      if (other.at[i] > at[i]) at[i] = other.at[i];
    }
  }
};

// One access as the shadow memory keeps it: which thread, at which of its
// clock values, from which instruction. thread == kNoThread: empty.
constexpr std::uint16_t kNoThread = 0xffff;
struct Access {
  std::uintptr_t pc;
  Clock clock;
  std::uint16_t thread;
};

// Per address: the last write and the last reads of a few threads (the
// reads since that write that matter for the next write).
constexpr std::uint32_t kReadSlots = 4;
struct Shadow {
  std::uintptr_t address;  // 0: free slot
  Access write;
  Access reads[kReadSlots];
};

struct SyncObject {
  const void* key;  // nullptr: free slot
  VectorClock clock;
};

constexpr std::uint32_t kShadowSlots = 1U << 16;
constexpr std::uint32_t kSyncSlots = 2048;
// Open addressing without deletion: stop adding at half full, so that
// probes stay short.
constexpr std::uint32_t kShadowLimit = kShadowSlots / 2;
constexpr std::uint32_t kSyncLimit = kSyncSlots / 2;

FutexLock g_lock;
VectorClock g_threads[kTrackedThreads];
Shadow g_shadow[kShadowSlots];
std::uint32_t g_shadow_used = 0;
SyncObject g_sync[kSyncSlots];
std::uint32_t g_sync_used = 0;

std::uint32_t hash(std::uintptr_t key) {
  std::uint64_t h = static_cast<std::uint64_t>(key) * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::uint32_t>(h >> 32);
}

// The calling thread's index when it is controlled and tracked, else -1.
std::int32_t tracked_self() {
  if (!controlled()) return -1;
  std::int32_t self = current_thread_index();
  return self >= 0 && static_cast<std::uint32_t>(self) < kTrackedThreads ? self : -1;
}

SyncObject* sync_object(const void* key, bool create) {
  std::uint32_t slot = hash(reinterpret_cast<std::uintptr_t>(key)) % kSyncSlots;
  for (;; slot = (slot + 1) % kSyncSlots) {
    if (g_sync[slot].key == key) return &g_sync[slot];
    if (g_sync[slot].key == nullptr) {
      if (!create || g_sync_used >= kSyncLimit) return nullptr;
      ++g_sync_used;
      g_sync[slot].key = key;
      return &g_sync[slot];
    }
  }
}

Shadow* shadow_of(std::uintptr_t address) {
  std::uint32_t slot = hash(address) % kShadowSlots;
  for (;; slot = (slot + 1) % kShadowSlots) {
    Shadow& s = g_shadow[slot];
    if (s.address == address) return &s;
    if (s.address == 0) {
      if (g_shadow_used >= kShadowLimit) return nullptr;
      ++g_shadow_used;
      s.address = address;
      s.write.thread = kNoThread;
      for (Access& read : s.reads) read.thread = kNoThread;
      return &s;
    }
  }
}

// `earlier` (by another thread) is not ordered before the current access of
// `self`, whose clock is `now`.
bool unordered(const Access& earlier, std::int32_t self, const VectorClock& now) {
  return earlier.thread != kNoThread && earlier.thread != self && earlier.clock > now.at[earlier.thread];
}

void release_locked(std::int32_t self, const void* object) {
  if (SyncObject* sync = sync_object(object, true)) sync->clock.join(g_threads[self]);
  ++g_threads[self].at[self];
}

void acquire_locked(std::int32_t self, const void* object) {
  if (SyncObject* sync = sync_object(object, false)) g_threads[self].join(sync->clock);
}

}  // namespace

void enable() { detail::g_enabled = true; }

void thread_created(std::uint32_t parent, std::uint32_t child) {
  if (parent >= kTrackedThreads || child >= kTrackedThreads) return;
  g_lock.lock();
  g_threads[child] = g_threads[parent];
  g_threads[child].at[child] = 1;
  ++g_threads[parent].at[parent];
  g_lock.unlock();
}

namespace {

// Runs `step(self)` under the detector's lock when the caller is tracked.
template <class Step>
void as_tracked_thread(Step step) {
  std::int32_t self = tracked_self();
  if (self < 0) return;
  g_lock.lock();
  step(self);
  g_lock.unlock();
}

}  // namespace

void record_release(const void* object) {
  as_tracked_thread([object](std::int32_t self) { release_locked(self, object); });
}

void record_acquire(const void* object) {
  as_tracked_thread([object](std::int32_t self) { acquire_locked(self, object); });
}

void acquire_release(const void* object) {
  as_tracked_thread([object](std::int32_t self) {
    acquire_locked(self, object);
    release_locked(self, object);
  });
}

void access(const void* address, std::uintptr_t pc, bool write) {
  std::int32_t self = tracked_self();
  if (self < 0 || address == nullptr) return;
  g_lock.lock();
  Shadow* shadow = shadow_of(reinterpret_cast<std::uintptr_t>(address));
  if (shadow == nullptr) {
    g_lock.unlock();
    return;
  }
  const VectorClock& now = g_threads[self];
  Access mine{pc, now.at[self], static_cast<std::uint16_t>(self)};
  if (unordered(shadow->write, self, now)) report_race(shadow->write.pc, pc);
  if (write) {
    for (Access& read : shadow->reads) {
      if (unordered(read, self, now)) report_race(read.pc, pc);
      read.thread = kNoThread;
    }
    shadow->write = mine;
  } else {
    // Keep this thread's last read, in its own slot, a free one, or one
    // that is ordered before this read (it can race with no later write
    // that this one does not race with too).
    Access* slot = nullptr;
    for (Access& read : shadow->reads) {
      if (read.thread == self) slot = &read;
    }
    for (Access& read : shadow->reads) {
      if (slot == nullptr && (read.thread == kNoThread || !unordered(read, self, now))) slot = &read;
    }
    if (slot == nullptr) slot = &shadow->reads[pc % kReadSlots];
    *slot = mine;
  }
  g_lock.unlock();
}

}  // namespace nmz::native::preload::happens_before
