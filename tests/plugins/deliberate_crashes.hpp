// SPDX-License-Identifier: Apache-2.0
// Crashes on demand, the way third-party plugin code crashes: shared by the
// misbehaving test plugin and the unit test of call_plugin.
#pragma once

namespace nmz::test {

// Read at run time, so the compiler cannot see the null dereference coming.
inline int* volatile nowhere = nullptr;

// Uninstrumented: in a UBSan build the store must still be the SIGSEGV the
// tests are about, not UBSan's own report and abort.
__attribute__((noinline, no_sanitize("null"))) inline void store_to_nowhere() { *nowhere = 1; }

// Each level keeps a buffer the compiler cannot drop, and the call is not a
// tail call: the stack runs out, as with unbounded recursion in a plugin.
__attribute__((noinline)) inline int recurse_without_end(int depth) {
  if (nowhere != nullptr) return 0;  // never: only hides the endlessness from the compiler
  volatile char frame[256];
  frame[0] = static_cast<char>(depth);
  return recurse_without_end(depth + 1) + frame[0];
}

}  // namespace nmz::test
