#!/usr/bin/env bash
# Builds nmz with ASan and UBSan and runs the test suites under them: the
# unit tests, and the inspectors against the real kernel (NFQUEUE, FUSE,
# sched_setattr), where buffers come from the kernel. The native suite is
# left out: its interposer library is preloaded into uninstrumented targets,
# and ASan's runtime must be the first library of a process.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${NMZ_ASAN_BUILD_DIR:-build-asan}
[[ -d "$build" ]] || meson setup "$build" -Dwerror=true --buildtype=debug -Db_sanitize=address,undefined \
  --wrap-mode=nodownload >/dev/null
ninja -C "$build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Every suite but native (as --suite, not --no-suite native, so that the
# native plugin's pure-logic tests, also in unit, still run).
mapfile -t suites < <(meson introspect --tests "$build" | python3 -c '
import json, sys
names = {s.split(":", 1)[-1] for t in json.load(sys.stdin) for s in t["suite"]}
print("\n".join(sorted(names - {"native"})))')
meson test -C "$build" "${suites[@]/#/--suite=}" --print-errorlogs --num-processes 2
