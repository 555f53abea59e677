// SPDX-License-Identifier: Apache-2.0
// The entry points that -fsanitize=thread instrumentation calls (GCC and
// Clang use the same names), provided so that a program compiled with it and
// linked against this library instead of libtsan has every instrumented
// memory access and atomic operation as a possible scheduling point (with
// -tsan). Nothing is checked for races: this is about scheduling. Atomic
// operations are performed here (the instrumentation replaced them with
// calls), always sequentially consistent, which is at least as strong as
// what the program asked for. 128-bit atomics are not provided.
//
// In race-directed mode (a races file) a plain access is a scheduling point
// only when its instruction is known to race, and every access feeds the
// happens-before detector, which finds the races. An instruction is named by
// the return address of the call the instrumentation made for it.
#include <cstddef>
#include <cstdint>

#include "race_detector.hpp"
#include "race_sites.hpp"
#include "scheduler.hpp"

#define NMZ_EXPORT extern "C" __attribute__((visibility("default")))
// The instruction an access is made by: the return address of the call the
// instrumentation put before it.
#define NMZ_CALLER __builtin_return_address(0)

using namespace nmz::native::preload;

namespace {

void memory_access(const void* address, std::uintptr_t pc, bool write) {
  if (!happens_before::enabled()) {
    point(Op::memory_access, address);
    return;
  }
  if (racy_instruction(pc)) point(Op::memory_access, address);
  happens_before::access(address, pc, write);
}

void atomic_access(const void* address) {
  point(Op::memory_access, address);
  if (happens_before::enabled()) happens_before::acquire_release(address);
}

inline void access_point(const volatile void* address, void* pc, bool write) {
  if (controlled() && memory_points_enabled()) {
    memory_access(const_cast<const void*>(address), reinterpret_cast<std::uintptr_t>(pc), write);
  }
}

inline void atomic_point(const volatile void* address) {
  if (controlled() && memory_points_enabled()) atomic_access(const_cast<const void*>(address));
}

}  // namespace

NMZ_EXPORT void __tsan_init() {}
NMZ_EXPORT void __tsan_func_entry(void*) {}
NMZ_EXPORT void __tsan_func_exit() {}
NMZ_EXPORT void __tsan_vptr_read(void** address) { access_point(address, NMZ_CALLER, false); }
NMZ_EXPORT void __tsan_vptr_update(void** address, void*) { access_point(address, NMZ_CALLER, true); }
NMZ_EXPORT void __tsan_read_range(void* address, std::size_t) { access_point(address, NMZ_CALLER, false); }
NMZ_EXPORT void __tsan_write_range(void* address, std::size_t) { access_point(address, NMZ_CALLER, true); }

#define NMZ_TSAN_ACCESS(N)                                                                  \
  NMZ_EXPORT void __tsan_read##N(void* address) { access_point(address, NMZ_CALLER, false); }                 \
  NMZ_EXPORT void __tsan_write##N(void* address) { access_point(address, NMZ_CALLER, true); }                \
  NMZ_EXPORT void __tsan_unaligned_read##N(void* address) { access_point(address, NMZ_CALLER, false); }       \
  NMZ_EXPORT void __tsan_unaligned_write##N(void* address) { access_point(address, NMZ_CALLER, true); }      \
  NMZ_EXPORT void __tsan_volatile_read##N(void* address) { access_point(address, NMZ_CALLER, false); }        \
  NMZ_EXPORT void __tsan_volatile_write##N(void* address) { access_point(address, NMZ_CALLER, true); }       \
  NMZ_EXPORT void __tsan_unaligned_volatile_read##N(void* address) { access_point(address, NMZ_CALLER, false); } \
  NMZ_EXPORT void __tsan_unaligned_volatile_write##N(void* address) { access_point(address, NMZ_CALLER, true); }
NMZ_TSAN_ACCESS(1)
NMZ_TSAN_ACCESS(2)
NMZ_TSAN_ACCESS(4)
NMZ_TSAN_ACCESS(8)
NMZ_TSAN_ACCESS(16)

#define NMZ_TSAN_RMW(N, T, NAME, BUILTIN)                                      \
  NMZ_EXPORT T __tsan_atomic##N##_##NAME(volatile T* a, T v, int) {          \
    atomic_point(a);                                                          \
    return BUILTIN(a, v, __ATOMIC_SEQ_CST);                                   \
  }

#define NMZ_TSAN_ATOMICS(N, T)                                                                          \
  NMZ_EXPORT T __tsan_atomic##N##_load(const volatile T* a, int) {                                      \
    atomic_point(a);                                                                                    \
    return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                                        \
  }                                                                                                     \
  NMZ_EXPORT void __tsan_atomic##N##_store(volatile T* a, T v, int) {                                   \
    atomic_point(a);                                                                                    \
    __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                           \
  }                                                                                                     \
  NMZ_TSAN_RMW(N, T, exchange, __atomic_exchange_n)                                                     \
  NMZ_TSAN_RMW(N, T, fetch_add, __atomic_fetch_add)                                                     \
  NMZ_TSAN_RMW(N, T, fetch_sub, __atomic_fetch_sub)                                                     \
  NMZ_TSAN_RMW(N, T, fetch_and, __atomic_fetch_and)                                                     \
  NMZ_TSAN_RMW(N, T, fetch_or, __atomic_fetch_or)                                                       \
  NMZ_TSAN_RMW(N, T, fetch_xor, __atomic_fetch_xor)                                                     \
  NMZ_TSAN_RMW(N, T, fetch_nand, __atomic_fetch_nand)                                                   \
  NMZ_EXPORT int __tsan_atomic##N##_compare_exchange_strong(volatile T* a, T* expected, T v, int, int) { \
    atomic_point(a);                                                                                    \
    return __atomic_compare_exchange_n(a, expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);      \
  }                                                                                                     \
  NMZ_EXPORT int __tsan_atomic##N##_compare_exchange_weak(volatile T* a, T* expected, T v, int, int) {   \
    atomic_point(a);                                                                                    \
    return __atomic_compare_exchange_n(a, expected, v, true, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);       \
  }                                                                                                     \
  NMZ_EXPORT T __tsan_atomic##N##_compare_exchange_val(volatile T* a, T expected, T v, int, int) {       \
    atomic_point(a);                                                                                    \
    __atomic_compare_exchange_n(a, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);            \
    return expected;                                                                                    \
  }
NMZ_TSAN_ATOMICS(8, std::uint8_t)
NMZ_TSAN_ATOMICS(16, std::uint16_t)
NMZ_TSAN_ATOMICS(32, std::uint32_t)
NMZ_TSAN_ATOMICS(64, std::uint64_t)

NMZ_EXPORT void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
NMZ_EXPORT void __tsan_atomic_signal_fence(int) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
