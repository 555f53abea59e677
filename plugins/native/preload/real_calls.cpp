// SPDX-License-Identifier: Apache-2.0
#include "real_calls.hpp"

#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace nmz::native::preload {
namespace {

RealCalls g_calls;
std::atomic<bool> g_resolved{false};

template <class Fn>
void resolve(Fn& slot, const char* name) {
  void* symbol = dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) {
    const char* prefix = "nmz-native: libc has no ";
    syscall(SYS_write, 2, prefix, std::strlen(prefix));
    syscall(SYS_write, 2, name, std::strlen(name));
    syscall(SYS_write, 2, "\n", 1);
    syscall(SYS_exit_group, 127);
  }
  slot = reinterpret_cast<Fn>(symbol);
}

void resolve_all() {
  // Two threads resolving at once store the same values: no lock needed.
  resolve(g_calls.pthread_create, "pthread_create");
  resolve(g_calls.pthread_join, "pthread_join");
  resolve(g_calls.pthread_exit, "pthread_exit");
  resolve(g_calls.mutex_lock, "pthread_mutex_lock");
  resolve(g_calls.mutex_trylock, "pthread_mutex_trylock");
  resolve(g_calls.mutex_timedlock, "pthread_mutex_timedlock");
  resolve(g_calls.mutex_unlock, "pthread_mutex_unlock");
  resolve(g_calls.cond_wait, "pthread_cond_wait");
  resolve(g_calls.cond_timedwait, "pthread_cond_timedwait");
  resolve(g_calls.cond_clockwait, "pthread_cond_clockwait");
  resolve(g_calls.cond_signal, "pthread_cond_signal");
  resolve(g_calls.cond_broadcast, "pthread_cond_broadcast");
  resolve(g_calls.rw_rdlock, "pthread_rwlock_rdlock");
  resolve(g_calls.rw_wrlock, "pthread_rwlock_wrlock");
  resolve(g_calls.rw_tryrdlock, "pthread_rwlock_tryrdlock");
  resolve(g_calls.rw_trywrlock, "pthread_rwlock_trywrlock");
  resolve(g_calls.rw_unlock, "pthread_rwlock_unlock");
  resolve(g_calls.spin_lock, "pthread_spin_lock");
  resolve(g_calls.spin_trylock, "pthread_spin_trylock");
  resolve(g_calls.spin_unlock, "pthread_spin_unlock");
  resolve(g_calls.barrier_wait, "pthread_barrier_wait");
  resolve(g_calls.sem_wait, "sem_wait");
  resolve(g_calls.sem_trywait, "sem_trywait");
  resolve(g_calls.sem_timedwait, "sem_timedwait");
  resolve(g_calls.sem_post, "sem_post");
  resolve(g_calls.sched_yield, "sched_yield");
  resolve(g_calls.nanosleep, "nanosleep");
  resolve(g_calls.clock_nanosleep, "clock_nanosleep");
  resolve(g_calls.usleep, "usleep");
  resolve(g_calls.sleep, "sleep");
  resolve(g_calls.read, "read");
  resolve(g_calls.write, "write");
  resolve(g_calls.recv, "recv");
  resolve(g_calls.send, "send");
  resolve(g_calls.connect, "connect");
  resolve(g_calls.accept, "accept");
}

}  // namespace

const RealCalls& real() {
  if (!g_resolved.load(std::memory_order_acquire)) {
    resolve_all();
    g_resolved.store(true, std::memory_order_release);
  }
  return g_calls;
}

}  // namespace nmz::native::preload
