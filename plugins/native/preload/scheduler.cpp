// SPDX-License-Identifier: Apache-2.0
#include "scheduler.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "choice_policy.hpp"
#include "futex_lock.hpp"
#include "race_detector.hpp"
#include "race_sites.hpp"
#include "region.hpp"

namespace nmz::native::preload {

enum class State : std::uint8_t { unused, paused, granted, running, detached, exited };

struct Thread {
  std::atomic<std::uint32_t> go{0};  // futex word: 1 once the thread may run
  std::uint32_t index = 0;
  State state = State::unused;
  Op op = Op::thread_start;
  const void* object = nullptr;
  Wait wait = Wait::none;
  const void* wait_object = nullptr;
  std::int64_t deadline_ns = kNoDeadline;
  bool timed_out = false;
  std::uint64_t wait_sequence = 0;
  pthread_t handle{};
  bool has_handle = false;
  pid_t tid = 0;
  // The fast path: while g_epoch stays at fast_epoch, nothing that could
  // change the policy's answer has happened since this thread was last
  // chosen to continue, so its next point gives the same answer without the
  // lock. fast_choice: whether that answer was a choice point.
  std::uint64_t fast_epoch = ~0ULL;
  bool fast_choice = false;
};

namespace {

FutexLock g_lock;
Thread g_threads[kMaxThreads];
std::uint32_t g_thread_count = 0;
std::int32_t g_turn = -1;  // the thread holding the turn, or -1
std::atomic<bool> g_active{false};
std::atomic<bool> g_ended{false};
bool g_claim_tried = false;
RegionHeader* g_region = nullptr;
ChoicePolicy g_policy;
std::uint64_t g_probe_points = ~0ULL;  // points count when the last retry round began
std::uint64_t g_wait_sequence = 0;
std::uint64_t g_replay_position = 0;
// Written under g_lock, read without it by the fast path.
std::atomic<std::uint32_t> g_timed_waiters{0};
std::atomic<std::uint32_t> g_waiters{0};  // threads with a Wait other than none
// Waiters per bucket of waited-for object (a counting filter): a release of
// an object whose bucket is empty wakes nobody, which the fast path needs to
// know without scanning the threads.
constexpr std::uint32_t kWaitBuckets = 64;
std::atomic<std::uint32_t> g_wait_buckets[kWaitBuckets];
std::atomic<std::uint32_t>& wait_bucket(const void* object) {
  auto address = reinterpret_cast<std::uintptr_t>(object);
  return g_wait_buckets[(address >> 3) % kWaitBuckets];
}
// Bumped by every change of scheduling state except "the holder continues".
std::atomic<std::uint64_t> g_epoch{0};
bool g_fast_path = false;  // PCT and nothing to replay
// Stall detection without a clock read per point: every grant bumps
// g_grants; a holder is stalled when the count has not moved for a budget.
std::atomic<std::uint64_t> g_grants{0};
std::uint64_t g_watched_grants = ~0ULL;
std::int64_t g_watched_since_ns = 0;
// One waiting thread at a time (the watcher) checks for a stalled holder
// often; the others wake rarely, so many parked threads cost little.
std::atomic<std::int32_t> g_watcher{-1};
constexpr std::int64_t kWatchSliceNs = 1000000;
// A holder found asleep in the kernel (not at a point) at two looks, this
// long after its last point, is blocked there: no need to wait for the whole
// budget. Two looks, because one may catch it waiting for g_lock, which the
// looking thread holds.
constexpr std::int64_t kKernelBlockNs = 2000000;
int g_asleep_looks = 0;
// Process exit: when control ended at exit, the threads still parked stay
// parked until this time (CLOCK_MONOTONIC), so that exit_group ends them
// where the schedule left them (see freeze_at_exit).
constexpr std::int64_t kExitFreezeNs = 1000000000;
std::int64_t g_thaw_ns = INT64_MAX;

thread_local Thread* tls_self __attribute__((tls_model("initial-exec"))) = nullptr;

// Scheduling must not leak into the errno the program sees (futex time-outs
// set it).
class ErrnoGuard {
 public:
  ErrnoGuard() : saved_(errno) {}
  ~ErrnoGuard() { errno = saved_; }
  ErrnoGuard(const ErrnoGuard&) = delete;
  ErrnoGuard& operator=(const ErrnoGuard&) = delete;

 private:
  int saved_;
};

// The region's counters are also bumped by the fast path, outside g_lock.
std::uint64_t bump(std::uint64_t& counter) { return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED); }
std::uint64_t load(const std::uint64_t& counter) { return __atomic_load_n(&counter, __ATOMIC_RELAXED); }
// The fast path's increment: no locked instruction. It races only with a
// slow path of a thread outside control (a detached one coming back), where
// losing one count is harmless.
std::uint64_t bump_unlocked(std::uint64_t& counter) {
  std::uint64_t value = __atomic_load_n(&counter, __ATOMIC_RELAXED) + 1;
  __atomic_store_n(&counter, value, __ATOMIC_RELAXED);
  return value;
}

// Takes g_lock for a change of scheduling state (which ends every thread's
// fast path).
void lock_state() {
  g_lock.lock();
  g_epoch.fetch_add(1, std::memory_order_release);
}

void write_stderr(const char* text) { syscall(SYS_write, 2, text, std::strlen(text)); }

// Maps the inspector's region when this process was started by it. Every
// process of the tree maps it; only the one that claims it is controlled.
__attribute__((constructor)) void attach_region() {
  const char* fd_text = std::getenv(kRegionFdEnv);
  if (fd_text == nullptr) return;
  char* end = nullptr;
  long fd = std::strtol(fd_text, &end, 10);
  if (end == fd_text || *end != '\0' || fd < 0) return;
  // The descriptor number may have been reused by a process that closed it:
  // map it only if it still is the inspector's memfd.
  char link_path[64];
  char target[128] = {};
  std::snprintf(link_path, sizeof link_path, "/proc/self/fd/%ld", fd);
  if (readlink(link_path, target, sizeof target - 1) <= 0) return;
  if (std::strncmp(target, "/memfd:", 7) != 0 || std::strncmp(target + 7, kMemfdName, std::strlen(kMemfdName)) != 0) {
    return;
  }
  struct stat st {};
  if (fstat(static_cast<int>(fd), &st) != 0 || static_cast<std::size_t>(st.st_size) < kHeaderBytes) return;
  void* mapping = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED,
                       static_cast<int>(fd), 0);
  if (mapping == MAP_FAILED) return;
  auto* header = static_cast<RegionHeader*>(mapping);
  if (header->magic != kRegionMagic || header->version != kRegionVersion ||
      region_bytes(header->replay_capacity, header->record_capacity, header->events_capacity) >
          static_cast<std::size_t>(st.st_size)) {
    munmap(mapping, static_cast<std::size_t>(st.st_size));
    return;
  }
  g_region = header;
}


void fork_child() {
  // Only the forking thread exists in the child; the scheduler's state
  // describes the parent. The child runs uncontrolled.
  detail::g_control_on.store(false, std::memory_order_relaxed);
  detail::tls_controlled = false;
  g_active.store(false, std::memory_order_relaxed);
  g_ended.store(true, std::memory_order_relaxed);
  g_claim_tried = true;
  tls_self = nullptr;
}

void release_all_locked() {
  for (std::uint32_t i = 0; i < g_thread_count; ++i) {
    Thread& t = g_threads[i];
    if (t.go.exchange(1, std::memory_order_release) == 0) futex_wake(t.go, 1);
  }
}

Thread* allocate_locked() {
  if (g_thread_count >= kMaxThreads) return nullptr;
  Thread* t = &g_threads[g_thread_count];
  t->index = g_thread_count++;
  t->go.store(0, std::memory_order_relaxed);
  t->state = State::paused;
  t->op = Op::thread_start;
  t->wait = Wait::none;
  g_policy.on_new_thread(t->index);
  g_region->threads = g_thread_count;
  return t;
}

void clear_wait_locked(Thread& t) {
  if (t.deadline_ns != kNoDeadline) --g_timed_waiters;
  --g_waiters;
  wait_bucket(t.wait_object).fetch_sub(1, std::memory_order_relaxed);
  t.wait = Wait::none;
}

void grant_locked(Thread* t) {
  g_turn = static_cast<std::int32_t>(t->index);
  g_grants.fetch_add(1, std::memory_order_relaxed);
  if (t->wait != Wait::none) {
    // Chosen only because its deadline passed.
    t->timed_out = true;
    clear_wait_locked(*t);
  }
  t->state = State::granted;
  t->go.store(1, std::memory_order_release);
  if (t != tls_self) futex_wake(t->go, 1);
}

std::int32_t thread_of_tid(int tid) {
  for (std::uint32_t i = 0; i < g_thread_count; ++i) {
    if (g_threads[i].tid == tid && g_threads[i].state != State::exited) return static_cast<std::int32_t>(i);
  }
  return -1;
}

// Who holds a lock, from glibc's own bookkeeping (kernel tid of the owner).
int lock_owner_tid(const Thread& t) {
  if (t.op == Op::mutex_lock || t.op == Op::cond_wait) {
    return static_cast<const pthread_mutex_t*>(t.wait_object)->__data.__owner;
  }
  if (t.op == Op::rwlock_wrlock || t.op == Op::rwlock_rdlock) {
    return static_cast<const pthread_rwlock_t*>(t.wait_object)->__data.__cur_writer;
  }
  return 0;
}

[[noreturn]] void report_deadlock_locked() {
  char* out = g_region->report;
  std::size_t used = 0;
  auto append = [&](const char* format, auto... args) {
    if (used >= kReportSize) return;
    int n = std::snprintf(out + used, kReportSize - used, format, args...);
    if (n > 0) used += static_cast<std::size_t>(n);
  };
  append("deadlock: every thread waits for another one\n");
  for (std::uint32_t i = 0; i < g_thread_count; ++i) {
    const Thread& t = g_threads[i];
    if (t.state == State::exited) continue;
    append("  T%u (tid %d) blocked in %s(%p)", t.index, t.tid, op_name(t.op), t.wait_object);
    switch (t.wait) {
      case Wait::lock: {
        std::int32_t owner = thread_of_tid(lock_owner_tid(t));
        if (owner >= 0) {
          append(": held by T%d\n", owner);
        } else {
          append(": held\n");
        }
        break;
      }
      case Wait::join: append(": waits for T%u to exit\n", static_cast<const Thread*>(t.wait_object)->index); break;
      case Wait::cond: append(": waits for a signal nobody will send\n"); break;
      case Wait::sem: append(": semaphore stays at 0\n"); break;
      case Wait::none: append("\n"); break;
    }
  }
  if (used >= kReportSize) used = kReportSize - 1;
  out[used] = '\0';
  g_region->deadlocked = 1;  // the inspector reports it
  syscall(SYS_exit_group, g_region->deadlock_exit_code);
  __builtin_unreachable();
}

std::uint32_t replayed_choice_locked(const std::uint32_t* candidates, std::uint32_t count, std::uint32_t fallback) {
  if (g_replay_position >= g_region->replay_count) return fallback;
  std::uint32_t wanted = replay_array(g_region)[g_replay_position++];
  for (std::uint32_t i = 0; i < count; ++i) {
    if (candidates[i] == wanted) return wanted;
  }
  ++g_region->divergences;
  return fallback;
}

bool enabled_locked(const Thread& t, std::int64_t now_ns) {
  return t.wait == Wait::none || (t.deadline_ns != kNoDeadline && now_ns >= t.deadline_ns);
}

// Hands the turn to the next thread (or to nobody, when every candidate is
// outside control and one of them will come back).
// Object numbers for -events, by first use (open addressing; objects beyond
// the table's capacity get number 0, "unknown").
constexpr std::uint32_t kObjectSlots = 8192;
const void* g_object_keys[kObjectSlots];
std::uint32_t g_object_ids[kObjectSlots];
std::uint32_t g_objects = 0;

std::uint32_t object_id_locked(const void* object) {
  if (object == nullptr) return 0;
  auto slot = static_cast<std::uint32_t>((reinterpret_cast<std::uintptr_t>(object) >> 3) % kObjectSlots);
  for (std::uint32_t probe = 0; probe < kObjectSlots; ++probe, slot = (slot + 1) % kObjectSlots) {
    if (g_object_keys[slot] == object) return g_object_ids[slot];
    if (g_object_keys[slot] == nullptr) {
      if (g_objects + 1 >= kObjectSlots / 2) return 0;  // keep probes short
      g_object_keys[slot] = object;
      g_object_ids[slot] = ++g_objects;
      return g_objects;
    }
  }
  return 0;
}

// Logs a point for -events (the fast path is off then, so this always runs
// under g_lock).
void log_point_locked(const Thread& t, Op op, const void* object, bool blocked = false) {
  if (g_region->events_capacity == 0) return;
  std::uint64_t n = g_region->events_count++;
  if (n >= g_region->events_capacity) return;
  events_array(g_region)[n] = PointRecord{reinterpret_cast<std::uintptr_t>(object), object_id_locked(object),
                                          static_cast<std::uint16_t>(t.index), static_cast<std::uint8_t>(op),
                                          static_cast<std::uint8_t>(blocked ? 1 : 0)};
}

// Only used under g_lock (kept off the stack: threads may have small ones).
std::uint32_t g_candidates[kMaxThreads];

void schedule_locked(Thread* current) {
  std::uint32_t* candidates = g_candidates;
  for (int round = 0;; ++round) {
    std::int64_t now_ns = g_timed_waiters > 0 ? monotonic_ns() : 0;
    std::uint32_t count = 0;
    bool outside = false;
    for (std::uint32_t i = 0; i < g_thread_count; ++i) {
      const Thread& t = g_threads[i];
      if (t.state == State::paused) {
        if (enabled_locked(t, now_ns)) candidates[count++] = i;
      } else if (t.state == State::running || t.state == State::granted || t.state == State::detached) {
        outside = true;
      }
    }
    if (count == 1) {
      grant_locked(&g_threads[candidates[0]]);
      return;
    }
    if (count > 1) {
      std::uint64_t decision = bump(g_region->decisions);
      std::int32_t current_index = current != nullptr ? static_cast<std::int32_t>(current->index) : -1;
      std::uint32_t chosen = g_policy.choose(candidates, count, current_index, decision);
      chosen = replayed_choice_locked(candidates, count, chosen);
      if (decision <= g_region->record_capacity) record_array(g_region)[decision - 1] = static_cast<std::uint16_t>(chosen);
      grant_locked(&g_threads[chosen]);
      return;
    }
    g_turn = -1;
    if (outside) return;  // a detached or running thread will come back to a point
    // Every live thread waits. A timed wait ends first: the earliest one
    // runs (it sleeps out the rest of its time before returning).
    Thread* earliest = nullptr;
    for (std::uint32_t i = 0; i < g_thread_count; ++i) {
      Thread& t = g_threads[i];
      if (t.state == State::paused && t.deadline_ns != kNoDeadline && t.wait != Wait::none &&
          (earliest == nullptr || t.deadline_ns < earliest->deadline_ns)) {
        earliest = &t;
      }
    }
    if (earliest != nullptr) {
      grant_locked(earliest);
      return;
    }
    if (g_thread_count == 0 || round > 0 || load(g_region->points) == g_probe_points) report_deadlock_locked();
    // A lock or semaphore may have been released where we could not see it
    // (by an exited thread's destructors, another process): every such
    // waiter tries once more before this counts as a deadlock.
    g_probe_points = load(g_region->points);
    for (std::uint32_t i = 0; i < g_thread_count; ++i) {
      Thread& t = g_threads[i];
      if (t.state == State::paused && (t.wait == Wait::lock || t.wait == Wait::sem)) clear_wait_locked(t);
    }
  }
}

// Whether the thread sleeps in the kernel (state S or D in
// /proc/self/task/TID/stat): the holder is not at a point, so it is blocked
// in a call we do not model. Raw syscalls: read() may be our own wrapper.
bool asleep_in_kernel(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
  if (fd < 0) return false;
  char buffer[256];
  long n = syscall(SYS_read, fd, buffer, sizeof buffer - 1);
  syscall(SYS_close, fd);
  if (n <= 0) return false;
  buffer[n] = '\0';
  // "tid (comm) S ...": comm may contain spaces and parentheses.
  const char* close_paren = std::strrchr(buffer, ')');
  if (close_paren == nullptr || close_paren[1] != ' ') return false;
  return close_paren[2] == 'S' || close_paren[2] == 'D';
}

// Steals the turn from a holder that has not reached a point within the
// budget (or sleeps in the kernel), or restarts scheduling when nobody
// holds it.
void check_stall() {
  g_lock.lock();
  if (g_ended.load(std::memory_order_relaxed)) {
    if (monotonic_ns() >= g_thaw_ns) release_all_locked();
    g_lock.unlock();
    return;
  }
  if (g_turn < 0) {
    g_epoch.fetch_add(1, std::memory_order_release);
    schedule_locked(nullptr);
    g_lock.unlock();
    return;
  }
  Thread& holder = g_threads[g_turn];
  std::int64_t now_ns = monotonic_ns();
  std::uint64_t grants = g_grants.load(std::memory_order_relaxed);
  if (holder.state != State::running || g_watched_grants != grants) {
    g_watched_grants = grants;
    g_watched_since_ns = now_ns;
    g_asleep_looks = 0;
    g_lock.unlock();
    return;
  }
  std::int64_t quiet_ns = now_ns - g_watched_since_ns;
  if (quiet_ns >= kKernelBlockNs) g_asleep_looks = asleep_in_kernel(holder.tid) ? g_asleep_looks + 1 : 0;
  if (quiet_ns >= g_region->block_budget_ns || g_asleep_looks >= 2) {
    g_epoch.fetch_add(1, std::memory_order_release);
    holder.state = State::detached;
    ++g_region->steals;
    g_turn = -1;
    schedule_locked(nullptr);
  }
  g_lock.unlock();
}

void await_turn(Thread* t) {
  // The other waiters look four times per budget, so a stall is seen within
  // 1.25 budgets even when the watcher is busy.
  const std::int64_t budget = g_region->block_budget_ns;
  const std::int64_t idle_ns = budget / 4 > kWatchSliceNs ? budget / 4 : kWatchSliceNs;
  const auto me = static_cast<std::int32_t>(t->index);
  while (t->go.load(std::memory_order_acquire) == 0) {
    std::int32_t none = -1;
    bool watching = g_watcher.load(std::memory_order_relaxed) == me || g_watcher.compare_exchange_strong(none, me);
    std::int64_t slice_ns = watching ? kWatchSliceNs : idle_ns;
    timespec slice{static_cast<time_t>(slice_ns / 1000000000), static_cast<long>(slice_ns % 1000000000)};
    futex_wait(t->go, 0, &slice);
    if (t->go.load(std::memory_order_acquire) != 0) break;
    check_stall();
  }
  std::int32_t still_me = me;
  g_watcher.compare_exchange_strong(still_me, -1);
  lock_state();
  if (t->state == State::granted) {
    t->state = State::running;
  }
  bool sleep_out = t->timed_out && t->deadline_ns != kNoDeadline;
  std::int64_t deadline = t->deadline_ns;
  g_lock.unlock();
  if (sleep_out) {
    // Everyone else waits: time jumps to this thread's deadline.
    timespec until{static_cast<time_t>(deadline / 1000000000), static_cast<long>(deadline % 1000000000)};
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr);
  }
}

bool release_locked(Wait reason, const void* object, bool all) {
  if (g_waiters.load(std::memory_order_relaxed) == 0) return false;
  bool released = false;
  Thread* first = nullptr;
  for (std::uint32_t i = 0; i < g_thread_count; ++i) {
    Thread& t = g_threads[i];
    if (t.state != State::paused || t.wait != reason || t.wait_object != object) continue;
    if (!all) {
      if (first == nullptr || t.wait_sequence < first->wait_sequence) first = &t;
      continue;
    }
    clear_wait_locked(t);
    released = true;
  }
  if (first != nullptr) clear_wait_locked(*first);
  return released || first != nullptr;
}

// The caller arrives at a point, already marked paused: it keeps or passes
// the turn, and unless it kept it, waits for it.
void arrive_locked_and_wait(Thread* self) {
  self->go.store(0, std::memory_order_relaxed);
  if (g_turn < 0 || g_turn == static_cast<std::int32_t>(self->index)) schedule_locked(self);
  if (self->state == State::granted) {
    self->state = State::running;
    g_lock.unlock();
    return;
  }
  g_lock.unlock();
  await_turn(self);
}

void set_wait_locked(Thread* self, Wait reason, const void* object, std::int64_t deadline_ns) {
  self->wait = reason;
  self->wait_object = object;
  self->deadline_ns = deadline_ns;
  self->timed_out = false;
  self->wait_sequence = ++g_wait_sequence;
  if (deadline_ns != kNoDeadline) ++g_timed_waiters;
  ++g_waiters;
  wait_bucket(object).fetch_add(1, std::memory_order_relaxed);
}

// Process exit, when main returns (or any thread calls exit()) while other
// threads are parked at a point. Two scheduling points let them run during
// exit, as they could in a real run: one at the start of exit() (an atexit
// handler registered when control starts, after the program's static
// constructors, so it runs before their destructors) and one after the
// program's destructors (this library's destructor: the program is
// finalised first). A worker that uses a global after its destructor ran
// is reached this way. Then control ends, but the parked threads are not
// released: exit_group ends them where the schedule left them. Releasing
// them made them race with the rest of exit in real time, and a replay of
// the seed could end differently. A thread still parked after
// kExitFreezeNs is released after all: something in exit (a later
// library's destructor) waits for it.
void exit_point() {
  if (controlled()) point(Op::process_exit, nullptr);
}

__attribute__((destructor)) void freeze_at_exit() {
  if (!g_active.load(std::memory_order_relaxed)) return;
  exit_point();
  lock_state();
  if (!g_ended.load(std::memory_order_relaxed)) {
    g_ended.store(true, std::memory_order_relaxed);
    detail::g_control_on.store(false, std::memory_order_relaxed);
    g_thaw_ns = monotonic_ns() + kExitFreezeNs;
  }
  g_lock.unlock();
}

}  // namespace

namespace detail {
std::atomic<bool> g_control_on{false};
__thread bool tls_controlled __attribute__((tls_model("initial-exec"))) = false;
}  // namespace detail

bool io_points_enabled() { return g_region != nullptr && g_region->io_points != 0; }
bool memory_points_enabled() { return g_region != nullptr && g_region->memory_points != 0; }

void claim() {
  if (g_claim_tried || g_region == nullptr) return;
  g_claim_tried = true;
  std::int32_t unclaimed = 0;
  if (!__atomic_compare_exchange_n(&g_region->owner_pid, &unclaimed, static_cast<std::int32_t>(getpid()), false,
                                   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    return;
  }
  pthread_atfork(nullptr, nullptr, &fork_child);
  std::atexit(&exit_point);
  if (memory_points_enabled() && load_race_sites()) happens_before::enable();
  g_policy.configure(g_region->policy, g_region->depth, g_region->seed, g_region->steps);
  g_fast_path = g_region->policy == PolicyKind::pct && g_region->replay_count == 0 && g_region->events_capacity == 0;
  lock_state();
  Thread* main_thread = allocate_locked();
  main_thread->tid = static_cast<pid_t>(syscall(SYS_gettid));
  main_thread->handle = pthread_self();
  main_thread->has_handle = true;
  main_thread->state = State::running;
  main_thread->go.store(1, std::memory_order_relaxed);
  g_turn = 0;
  tls_self = main_thread;
  detail::tls_controlled = true;
  g_lock.unlock();
  g_active.store(true, std::memory_order_release);
  detail::g_control_on.store(true, std::memory_order_release);
}

namespace {

bool continue_fast(Thread* self, Op op, const void* object, Wait released) {
  if (!g_fast_path || op == Op::yield || op == Op::sleep) return false;
  if (released != Wait::none && wait_bucket(object).load(std::memory_order_relaxed) != 0) return false;
  if (g_epoch.load(std::memory_order_acquire) != self->fast_epoch) return false;
  // A timed wait can end without any event: only the full path looks at clocks.
  if (g_timed_waiters.load(std::memory_order_relaxed) != 0) return false;
  if (self->fast_choice) {
    if (g_policy.is_change_point(load(g_region->decisions) + 1)) return false;
    std::uint64_t decision = bump_unlocked(g_region->decisions);
    if (decision <= g_region->record_capacity) record_array(g_region)[decision - 1] = static_cast<std::uint16_t>(self->index);
  }
  bump_unlocked(g_region->points);
  g_grants.store(g_grants.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  self->op = op;
  return true;
}

}  // namespace

void point(Op op, const void* object, Wait released, bool release_all) {
  Thread* self = tls_self;
  if (continue_fast(self, op, object, released)) {
    self->object = object;
    return;
  }
  ErrnoGuard keep_errno;
  g_lock.lock();
  if (g_ended.load(std::memory_order_relaxed)) {
    g_lock.unlock();
    return;
  }
  bump(g_region->points);
  log_point_locked(*self, op, object);
  bool changed = op == Op::yield || op == Op::sleep || g_turn != static_cast<std::int32_t>(self->index);
  if (released != Wait::none && release_locked(released, object, release_all)) changed = true;
  if (op == Op::yield || op == Op::sleep) g_policy.on_yield(self->index);
  self->op = op;
  self->object = object;
  self->state = State::paused;
  self->go.store(0, std::memory_order_relaxed);
  std::uint64_t decisions_before = load(g_region->decisions);
  if (g_turn < 0 || g_turn == static_cast<std::int32_t>(self->index)) schedule_locked(self);
  if (self->state == State::granted) {
    self->state = State::running;
    std::uint64_t decision = load(g_region->decisions);
    bool choice = decision != decisions_before;
    if (!changed && !(choice && g_policy.is_change_point(decision))) {
      self->fast_epoch = g_epoch.load(std::memory_order_relaxed);
      self->fast_choice = choice;
    } else {
      g_epoch.fetch_add(1, std::memory_order_release);
    }
    g_lock.unlock();
    return;
  }
  g_epoch.fetch_add(1, std::memory_order_release);
  g_lock.unlock();
  await_turn(self);
}

Woken block(Op op, Wait reason, const void* object, std::int64_t deadline_ns, RetryFn retry) {
  ErrnoGuard keep_errno;
  Thread* self = tls_self;
  lock_state();
  if (g_ended.load(std::memory_order_relaxed)) {
    g_lock.unlock();
    return Woken::released;
  }
  if (retry(object)) {
    g_lock.unlock();
    return Woken::acquired;
  }
  self->op = op;
  log_point_locked(*self, op, object, true);
  set_wait_locked(self, reason, object, deadline_ns);
  self->state = State::paused;
  arrive_locked_and_wait(self);
  return self->timed_out ? Woken::timed_out : Woken::released;
}

void prepare_cond_wait(const void* cond, std::int64_t deadline_ns) {
  ErrnoGuard keep_errno;
  Thread* self = tls_self;
  lock_state();
  self->op = Op::cond_wait;
  set_wait_locked(self, Wait::cond, cond, deadline_ns);
  g_lock.unlock();
}

bool finish_cond_wait(const void* mutex) {
  ErrnoGuard keep_errno;
  Thread* self = tls_self;
  lock_state();
  release_locked(Wait::lock, mutex, true);
  if (g_ended.load(std::memory_order_relaxed)) {
    g_lock.unlock();
    return true;  // a spurious wake-up, which callers must handle anyway
  }
  self->state = State::paused;
  arrive_locked_and_wait(self);
  return !self->timed_out;
}

void detach(Op op, const void* object) {
  ErrnoGuard keep_errno;
  point(op, object);
  Thread* self = tls_self;
  lock_state();
  if (!g_ended.load(std::memory_order_relaxed)) {
    self->state = State::detached;
    if (g_turn == static_cast<std::int32_t>(self->index)) {
      g_turn = -1;
      schedule_locked(nullptr);
    }
  }
  g_lock.unlock();
}

void rejoin(const void* object) { point(Op::resume, object); }

Thread* new_thread() {
  lock_state();
  Thread* t = g_ended.load(std::memory_order_relaxed) ? nullptr : allocate_locked();
  g_lock.unlock();
  if (t != nullptr && happens_before::enabled()) happens_before::thread_created(tls_self->index, t->index);
  if (t == nullptr && !g_ended.load(std::memory_order_relaxed)) {
    write_stderr("nmz-native: more than 1024 threads; the new one runs uncontrolled\n");
  }
  return t;
}

void thread_create_failed(Thread* thread) {
  lock_state();
  thread->state = State::exited;
  g_lock.unlock();
}

void set_handle(Thread* thread, pthread_t handle) {
  lock_state();
  thread->handle = handle;
  thread->has_handle = true;
  g_lock.unlock();
}

void thread_started(Thread* thread) {
  ErrnoGuard keep_errno;
  thread->tid = static_cast<pid_t>(syscall(SYS_gettid));
  tls_self = thread;
  detail::tls_controlled = true;
  await_turn(thread);
}

void thread_finished() {
  ErrnoGuard keep_errno;
  Thread* self = tls_self;
  if (self == nullptr || !g_active.load(std::memory_order_relaxed)) return;
  happens_before::released(self);
  lock_state();
  if (self->state == State::exited) {
    g_lock.unlock();
    return;
  }
  bump(g_region->points);
  log_point_locked(*self, Op::thread_exit, nullptr);
  self->state = State::exited;
  detail::tls_controlled = false;
  release_locked(Wait::join, self, true);
  if (!g_ended.load(std::memory_order_relaxed) && g_turn == static_cast<std::int32_t>(self->index)) {
    g_turn = -1;
    schedule_locked(nullptr);
  }
  g_lock.unlock();
}

Thread* find_thread(pthread_t handle) {
  Thread* found = nullptr;
  lock_state();
  for (std::uint32_t i = 0; i < g_thread_count && found == nullptr; ++i) {
    if (g_threads[i].has_handle && pthread_equal(g_threads[i].handle, handle)) found = &g_threads[i];
  }
  g_lock.unlock();
  return found;
}

void release(Wait reason, const void* object, bool all) {
  if (!g_active.load(std::memory_order_relaxed)) return;
  lock_state();
  release_locked(reason, object, all);
  g_lock.unlock();
}

bool join_target_exited(const void* thread) { return static_cast<const Thread*>(thread)->state == State::exited; }

std::int32_t current_thread_index() { return tls_self != nullptr ? static_cast<std::int32_t>(tls_self->index) : -1; }

}  // namespace nmz::native::preload
