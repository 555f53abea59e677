// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

// The kinds of scheduling point, shared by the interposer (which records
// them) and the inspector (which reports them).
namespace nmz::native {

enum class Op : std::uint8_t {
  thread_start,
  thread_created,
  thread_exit,
  join,
  mutex_lock,
  mutex_unlock,
  cond_wait,
  cond_signal,
  cond_broadcast,
  rwlock_rdlock,
  rwlock_wrlock,
  rwlock_unlock,
  spin_lock,
  spin_unlock,
  sem_wait,
  sem_post,
  barrier_wait,
  yield,
  sleep,
  io,
  memory_access,
  resume,
  process_exit,
};

// The function a point stands for, as events and reports name it.
constexpr const char* op_name(Op op) {
  switch (op) {
    case Op::thread_start: return "thread_start";
    case Op::thread_created: return "pthread_create";
    case Op::thread_exit: return "thread_exit";
    case Op::join: return "pthread_join";
    case Op::mutex_lock: return "pthread_mutex_lock";
    case Op::mutex_unlock: return "pthread_mutex_unlock";
    case Op::cond_wait: return "pthread_cond_wait";
    case Op::cond_signal: return "pthread_cond_signal";
    case Op::cond_broadcast: return "pthread_cond_broadcast";
    case Op::rwlock_rdlock: return "pthread_rwlock_rdlock";
    case Op::rwlock_wrlock: return "pthread_rwlock_wrlock";
    case Op::rwlock_unlock: return "pthread_rwlock_unlock";
    case Op::spin_lock: return "pthread_spin_lock";
    case Op::spin_unlock: return "pthread_spin_unlock";
    case Op::sem_wait: return "sem_wait";
    case Op::sem_post: return "sem_post";
    case Op::barrier_wait: return "pthread_barrier_wait";
    case Op::yield: return "sched_yield";
    case Op::sleep: return "sleep";
    case Op::io: return "io";
    case Op::memory_access: return "memory_access";
    case Op::resume: return "resume";
    case Op::process_exit: return "exit";
  }
  return "unknown";
}

}  // namespace nmz::native
