// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: a shared library with no NMZ_PLUGIN entry point.
extern "C" [[gnu::visibility("default")]] int nmz_test_not_a_plugin() { return 42; }
