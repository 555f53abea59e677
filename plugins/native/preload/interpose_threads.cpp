// SPDX-License-Identifier: Apache-2.0
// Thread life cycle and the pthread synchronisation objects, as scheduling
// points. Each blocking operation is a trylock loop: the real object keeps
// its semantics, and a thread never sleeps in the kernel on an object held by
// a thread that is parked at a point.
#include <pthread.h>

#include <cerrno>
#include <cstdlib>

#include "race_detector.hpp"
#include "real_calls.hpp"
#include "scheduler.hpp"
#include "timeouts.hpp"

#define NMZ_EXPORT extern "C" __attribute__((visibility("default")))

using namespace nmz::native::preload;

namespace {

struct Boot {
  void* (*start)(void*);
  void* arg;
  Thread* thread;
};

void finish_on_unwind(void*) { thread_finished(); }

void* trampoline(void* raw) {
  Boot boot = *static_cast<Boot*>(raw);
  std::free(raw);
  thread_started(boot.thread);
  void* result = nullptr;
  // Cancellation and pthread_exit unwind through here: the thread still
  // counts as exited for its joiners.
  pthread_cleanup_push(&finish_on_unwind, nullptr);
  result = boot.start(boot.arg);
  pthread_cleanup_pop(0);
  thread_finished();
  return result;
}

// Spin locks are volatile ints; the scheduler only compares addresses.
template <class Object>
const void* address(Object* object) {
  return const_cast<const void*>(static_cast<const volatile void*>(object));
}

// The last non-EBUSY result of a trylock tried under the scheduler's lock.
thread_local int tls_retry_result __attribute__((tls_model("initial-exec"))) = 0;

template <class Object, int (*Try)(Object*)>
bool try_under_lock(const void* object) {
  int rc = Try(static_cast<Object*>(const_cast<void*>(object)));
  if (rc == EBUSY) return false;
  tls_retry_result = rc;
  return true;
}

int real_mutex_trylock(pthread_mutex_t* m) { return real().mutex_trylock(m); }
int real_rdlock_try(pthread_rwlock_t* rw) { return real().rw_tryrdlock(rw); }
int real_wrlock_try(pthread_rwlock_t* rw) { return real().rw_trywrlock(rw); }
int real_spin_try(pthread_spinlock_t* s) { return real().spin_trylock(s); }

// Acquires with `Try` only, giving up the turn while the object is taken.
// `Blocking` is the real blocking call, used once control has ended.
template <class Object, int (*Try)(Object*)>
int acquire_loop(Op op, Object* object, std::int64_t deadline_ns, int (*blocking)(Object*)) {
  for (;;) {
    int rc = Try(object);
    if (rc != EBUSY) return rc;
    if (!controlled()) return blocking(object);
    switch (block(op, Wait::lock, address(object), deadline_ns, &try_under_lock<Object, Try>)) {
      case Woken::acquired: return tls_retry_result;
      case Woken::timed_out: return ETIMEDOUT;
      case Woken::released: break;
    }
  }
}

template <class Object, int (*Try)(Object*)>
int acquire(Op op, Object* object, std::int64_t deadline_ns, int (*blocking)(Object*)) {
  int rc = acquire_loop<Object, Try>(op, object, deadline_ns, blocking);
  if (rc == 0) happens_before::acquired(address(object));
  return rc;
}

// A try call's result, with the acquisition it may be.
int tried(const void* object, int rc) {
  if (rc == 0) happens_before::acquired(object);
  return rc;
}

int mutex_acquire(pthread_mutex_t* m, std::int64_t deadline_ns) {
  return acquire<pthread_mutex_t, real_mutex_trylock>(Op::mutex_lock, m, deadline_ns, real().mutex_lock);
}

int cond_wait_controlled(pthread_cond_t* c, pthread_mutex_t* m, std::int64_t deadline_ns) {
  point(Op::cond_wait, c);
  prepare_cond_wait(c, deadline_ns);
  if (int rc = real().mutex_unlock(m); rc != 0) {
    release(Wait::cond, c, true);  // undo the registration: a spurious wake-up for the others at most
    return rc;
  }
  bool signalled = finish_cond_wait(m);
  int rc = mutex_acquire(m, kNoDeadline);
  if (rc != 0) return rc;
  happens_before::acquired(c);
  return signalled ? 0 : ETIMEDOUT;
}

}  // namespace

NMZ_EXPORT int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  claim();
  if (!controlled()) return real().pthread_create(thread, attr, start, arg);
  Thread* child = new_thread();
  if (child == nullptr) return real().pthread_create(thread, attr, start, arg);
  auto* boot = static_cast<Boot*>(std::malloc(sizeof(Boot)));
  if (boot == nullptr) {
    thread_create_failed(child);
    return EAGAIN;
  }
  *boot = Boot{start, arg, child};
  int rc = real().pthread_create(thread, attr, &trampoline, boot);
  if (rc != 0) {
    std::free(boot);
    thread_create_failed(child);
    return rc;
  }
  set_handle(child, *thread);
  point(Op::thread_created, child);
  return 0;
}

NMZ_EXPORT void pthread_exit(void* result) {
  thread_finished();
  real().pthread_exit(result);
}

NMZ_EXPORT int pthread_join(pthread_t handle, void** result) {
  if (!controlled()) return real().pthread_join(handle, result);
  Thread* target = find_thread(handle);
  if (target == nullptr) {
    detach(Op::join, nullptr);
    int rc = real().pthread_join(handle, result);
    rejoin(nullptr);
    return rc;
  }
  point(Op::join, target);
  while (controlled() && !join_target_exited(target)) {
    if (block(Op::join, Wait::join, target, kNoDeadline, &join_target_exited) == Woken::acquired) break;
  }
  happens_before::acquired(target);
  // The start routine has returned; what is left (TLS destructors) is short.
  return real().pthread_join(handle, result);
}

NMZ_EXPORT int pthread_mutex_lock(pthread_mutex_t* m) {
  if (!controlled()) return real().mutex_lock(m);
  point(Op::mutex_lock, m);
  return mutex_acquire(m, kNoDeadline);
}

NMZ_EXPORT int pthread_mutex_timedlock(pthread_mutex_t* m, const timespec* abstime) {
  if (!controlled()) return real().mutex_timedlock(m, abstime);
  if (!valid_timespec(abstime)) return EINVAL;
  point(Op::mutex_lock, m);
  return mutex_acquire(m, monotonic_deadline(CLOCK_REALTIME, abstime));
}

NMZ_EXPORT int pthread_mutex_trylock(pthread_mutex_t* m) {
  if (controlled()) point(Op::mutex_lock, m);
  return tried(m, real().mutex_trylock(m));
}

NMZ_EXPORT int pthread_mutex_unlock(pthread_mutex_t* m) {
  happens_before::released(m);
  int rc = real().mutex_unlock(m);
  after_release(Op::mutex_unlock, m, Wait::lock, true);
  return rc;
}

NMZ_EXPORT int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  if (!controlled()) return real().cond_wait(c, m);
  return cond_wait_controlled(c, m, kNoDeadline);
}

NMZ_EXPORT int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* abstime) {
  if (!controlled()) return real().cond_timedwait(c, m, abstime);
  if (!valid_timespec(abstime)) return EINVAL;
  return cond_wait_controlled(c, m, monotonic_deadline(cond_clock(c), abstime));
}

NMZ_EXPORT int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* abstime) {
  if (!controlled()) return real().cond_clockwait(c, m, clock, abstime);
  if (!valid_timespec(abstime) || (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)) return EINVAL;
  return cond_wait_controlled(c, m, monotonic_deadline(clock, abstime));
}

NMZ_EXPORT int pthread_cond_signal(pthread_cond_t* c) {
  happens_before::released(c);
  int rc = real().cond_signal(c);
  after_release(Op::cond_signal, c, Wait::cond, false);
  return rc;
}

NMZ_EXPORT int pthread_cond_broadcast(pthread_cond_t* c) {
  happens_before::released(c);
  int rc = real().cond_broadcast(c);
  after_release(Op::cond_broadcast, c, Wait::cond, true);
  return rc;
}

NMZ_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t* rw) {
  if (!controlled()) return real().rw_rdlock(rw);
  point(Op::rwlock_rdlock, rw);
  return acquire<pthread_rwlock_t, real_rdlock_try>(Op::rwlock_rdlock, rw, kNoDeadline, real().rw_rdlock);
}

NMZ_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t* rw) {
  if (!controlled()) return real().rw_wrlock(rw);
  point(Op::rwlock_wrlock, rw);
  return acquire<pthread_rwlock_t, real_wrlock_try>(Op::rwlock_wrlock, rw, kNoDeadline, real().rw_wrlock);
}

NMZ_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t* rw) {
  if (controlled()) point(Op::rwlock_rdlock, rw);
  return tried(rw, real().rw_tryrdlock(rw));
}

NMZ_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t* rw) {
  if (controlled()) point(Op::rwlock_wrlock, rw);
  return tried(rw, real().rw_trywrlock(rw));
}

NMZ_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t* rw) {
  happens_before::released(rw);
  int rc = real().rw_unlock(rw);
  after_release(Op::rwlock_unlock, rw, Wait::lock, true);
  return rc;
}

NMZ_EXPORT int pthread_spin_lock(pthread_spinlock_t* s) {
  if (!controlled()) return real().spin_lock(s);
  point(Op::spin_lock, address(s));
  return acquire<pthread_spinlock_t, real_spin_try>(Op::spin_lock, s, kNoDeadline, real().spin_lock);
}

NMZ_EXPORT int pthread_spin_unlock(pthread_spinlock_t* s) {
  happens_before::released(address(s));
  int rc = real().spin_unlock(s);
  after_release(Op::spin_unlock, address(s), Wait::lock, true);
  return rc;
}

NMZ_EXPORT int pthread_barrier_wait(pthread_barrier_t* b) {
  if (!controlled()) return real().barrier_wait(b);
  // The barrier's own futex is not modelled: the thread waits outside control.
  happens_before::released(b);
  detach(Op::barrier_wait, b);
  int rc = real().barrier_wait(b);
  rejoin(b);
  happens_before::acquired(b);
  return rc;
}
