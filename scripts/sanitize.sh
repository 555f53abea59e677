#!/usr/bin/env bash
# Builds nmz with ASan and UBSan and runs the unit tests under them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${NMZ_ASAN_BUILD_DIR:-build-asan}
[[ -d "$build" ]] || meson setup "$build" -Dwerror=true --buildtype=debug -Db_sanitize=address,undefined \
  --wrap-mode=nodownload >/dev/null
ninja -C "$build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
meson test -C "$build" --suite unit --suite plugins --print-errorlogs --num-processes 2
