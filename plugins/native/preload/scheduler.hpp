// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "ops.hpp"

// The controlled scheduler: between two scheduling points exactly one thread
// of the controlled process runs (it "holds the turn"); at each point the
// choice policy picks which of the threads that can proceed runs next.
//
// It must never freeze the program it controls, so:
//   - blocking operations (lock, sem_wait, join, cond_wait) become
//     "try, and if that fails, give up the turn until the object is
//     released": the real lock is only ever taken with trylock;
//   - a thread that holds the turn but does not reach its next point within
//     the block budget (blocked in the kernel, in an un-interposed call,
//     computing) is declared detached and another thread gets the turn; a
//     detached thread rejoins at its next point;
//   - when every live thread waits on something only another controlled
//     thread could release, each failed lock is retried once (a release may
//     have happened outside our view); if nothing moves, that is a deadlock:
//     it is reported and the process exits with the configured status.
namespace nmz::native::preload {

using native::Op;


// What a blocked thread waits for.
enum class Wait : std::uint8_t { none, lock, cond, sem, join };

struct Thread;

// No deadline: wait until released.
inline constexpr std::int64_t kNoDeadline = INT64_MAX;

namespace detail {
// The process claimed the region and control has not ended.
extern std::atomic<bool> g_control_on;
// The calling thread is known to the scheduler and alive.
extern __thread bool tls_controlled __attribute__((tls_model("initial-exec")));
}  // namespace detail

// True when the calling thread is under control. Inline: every wrapped call
// asks first.
inline bool controlled() {
  return detail::g_control_on.load(std::memory_order_relaxed) && detail::tls_controlled;
}

// Turns this process into the controlled one, if the inspector's region is
// there and no other process of the tree took it. Called before the first
// thread is created; idempotent.
void claim();

// A scheduling point: the caller gives up the turn and waits until the
// policy gives it back. `released` (with `release_all`) first wakes the
// threads waiting on `object` for that reason: the caller just released it.
void point(Op op, const void* object, Wait released = Wait::none, bool release_all = true);

// The caller could not get `object`; it gives up the turn until `object` is
// released for `reason` (or `deadline_ns`, CLOCK_MONOTONIC, passes). `retry`
// is tried once more under the scheduler's lock after registering, which
// closes the window in which a release by a detached thread would be
// missed; it returns true when it got the object (or, for joins, the
// thread has exited).
using RetryFn = bool (*)(const void* object);
enum class Woken { acquired, released, timed_out };
Woken block(Op op, Wait reason, const void* object, std::int64_t deadline_ns, RetryFn retry);

// Wakes the threads waiting on `object` for `reason` (all, or for a condition
// signal the longest-waiting one), without a scheduling point: for releases
// by threads that are not controlled.
void release(Wait reason, const void* object, bool all);

// After the caller really released `object`: a scheduling point that wakes
// its waiters, or for a thread outside control the wake-up alone.
inline void after_release(Op op, const void* object, Wait reason, bool all) {
  if (controlled()) {
    point(op, object, reason, all);
  } else {
    release(reason, object, all);
  }
}

// Condition waits in two steps, so that the thread is registered as a
// waiter before it really unlocks the mutex.
void prepare_cond_wait(const void* cond, std::int64_t deadline_ns);
// Called after the real unlock of `mutex` (its waiters are woken); returns
// false on time-out.
bool finish_cond_wait(const void* mutex);

// Around a call that may block in the kernel (sleep, I/O, barriers): gives
// up the turn before it, rejoins after.
void detach(Op op, const void* object);
void rejoin(const void* object);

// Thread life cycle (pthread_create / start routine / exit / join).
Thread* new_thread();            // nullptr: the child will not be controlled
void thread_create_failed(Thread* thread);
void set_handle(Thread* thread, pthread_t handle);
void thread_started(Thread* thread);  // in the child, before its start routine
void thread_finished();               // in the child, after it
Thread* find_thread(pthread_t handle);
bool join_target_exited(const void* thread);  // RetryFn for Wait::join

// The I/O calls and the memory accesses of programs built with
// -fsanitize=thread are scheduling points only when the inspector asked.
bool io_points_enabled();
bool memory_points_enabled();

// The calling thread's index (creation order), or -1 when it is not known
// to the scheduler.
std::int32_t current_thread_index();

}  // namespace nmz::native::preload
