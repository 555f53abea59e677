// SPDX-License-Identifier: Apache-2.0
// Semaphores, yields, sleeps and (when asked) I/O calls as scheduling points.
// Calls that can block in the kernel for an unknown time run detached: the
// turn passes to another thread for their duration.
#include <semaphore.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "race_detector.hpp"
#include "real_calls.hpp"
#include "scheduler.hpp"
#include "timeouts.hpp"

#define NMZ_EXPORT extern "C" __attribute__((visibility("default")))

using namespace nmz::native::preload;

namespace {

bool sem_taken(const void* s) { return real().sem_trywait(static_cast<sem_t*>(const_cast<void*>(s))) == 0; }

int sem_wait_controlled(sem_t* s, std::int64_t deadline_ns) {
  point(Op::sem_wait, s);
  int saved = errno;
  for (;;) {
    if (real().sem_trywait(s) == 0) break;
    if (errno != EAGAIN) return -1;
    errno = saved;
    if (!controlled()) return real().sem_wait(s);
    Woken woken = block(Op::sem_wait, Wait::sem, s, deadline_ns, &sem_taken);
    if (woken == Woken::acquired) break;
    if (woken == Woken::timed_out) {
      errno = ETIMEDOUT;
      return -1;
    }
  }
  errno = saved;
  happens_before::acquired(s);
  return 0;
}

template <class Call>
auto run_detached(Op op, const void* object, Call call) {
  detach(op, object);
  auto result = call();
  rejoin(object);
  return result;
}

const void* fd_object(int fd) { return reinterpret_cast<const void*>(static_cast<std::intptr_t>(fd)); }

bool io_controlled() { return io_points_enabled() && controlled(); }

}  // namespace

NMZ_EXPORT int sem_wait(sem_t* s) {
  if (!controlled()) return real().sem_wait(s);
  return sem_wait_controlled(s, kNoDeadline);
}

NMZ_EXPORT int sem_timedwait(sem_t* s, const timespec* abstime) {
  if (!controlled()) return real().sem_timedwait(s, abstime);
  if (!valid_timespec(abstime)) {
    errno = EINVAL;
    return -1;
  }
  return sem_wait_controlled(s, monotonic_deadline(CLOCK_REALTIME, abstime));
}

NMZ_EXPORT int sem_trywait(sem_t* s) {
  if (controlled()) point(Op::sem_wait, s);
  int rc = real().sem_trywait(s);
  if (rc == 0) happens_before::acquired(s);
  return rc;
}

NMZ_EXPORT int sem_post(sem_t* s) {
  happens_before::released(s);
  int rc = real().sem_post(s);
  after_release(Op::sem_post, s, Wait::sem, true);
  return rc;
}

NMZ_EXPORT int sched_yield() {
  if (!controlled()) return real().sched_yield();
  point(Op::yield, nullptr);
  return 0;
}

NMZ_EXPORT int nanosleep(const timespec* duration, timespec* remaining) {
  if (!controlled()) return real().nanosleep(duration, remaining);
  return run_detached(Op::sleep, nullptr, [&] { return real().nanosleep(duration, remaining); });
}

NMZ_EXPORT int clock_nanosleep(clockid_t clock, int flags, const timespec* request, timespec* remaining) {
  if (!controlled()) return real().clock_nanosleep(clock, flags, request, remaining);
  return run_detached(Op::sleep, nullptr, [&] { return real().clock_nanosleep(clock, flags, request, remaining); });
}

NMZ_EXPORT int usleep(useconds_t microseconds) {
  if (!controlled()) return real().usleep(microseconds);
  return run_detached(Op::sleep, nullptr, [&] { return real().usleep(microseconds); });
}

NMZ_EXPORT unsigned sleep(unsigned seconds) {
  if (!controlled()) return real().sleep(seconds);
  return run_detached(Op::sleep, nullptr, [&] { return real().sleep(seconds); });
}

NMZ_EXPORT ssize_t read(int fd, void* buffer, size_t count) {
  if (!io_controlled()) return real().read(fd, buffer, count);
  return run_detached(Op::io, fd_object(fd), [&] { return real().read(fd, buffer, count); });
}

NMZ_EXPORT ssize_t write(int fd, const void* buffer, size_t count) {
  if (!io_controlled()) return real().write(fd, buffer, count);
  return run_detached(Op::io, fd_object(fd), [&] { return real().write(fd, buffer, count); });
}

NMZ_EXPORT ssize_t recv(int fd, void* buffer, size_t count, int flags) {
  if (!io_controlled()) return real().recv(fd, buffer, count, flags);
  return run_detached(Op::io, fd_object(fd), [&] { return real().recv(fd, buffer, count, flags); });
}

NMZ_EXPORT ssize_t send(int fd, const void* buffer, size_t count, int flags) {
  if (!io_controlled()) return real().send(fd, buffer, count, flags);
  return run_detached(Op::io, fd_object(fd), [&] { return real().send(fd, buffer, count, flags); });
}

NMZ_EXPORT int connect(int fd, const sockaddr* address, socklen_t length) {
  if (!io_controlled()) return real().connect(fd, address, length);
  return run_detached(Op::io, fd_object(fd), [&] { return real().connect(fd, address, length); });
}

NMZ_EXPORT int accept(int fd, sockaddr* address, socklen_t* length) {
  if (!io_controlled()) return real().accept(fd, address, length);
  return run_detached(Op::io, fd_object(fd), [&] { return real().accept(fd, address, length); });
}
