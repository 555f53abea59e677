#!/usr/bin/env bash
# Installs what nmz needs, builds it with -Werror and runs every test suite.
# Needs root (apt, and the real NFQUEUE/FUSE/sched_setattr tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
build=${NMZ_BUILD_DIR:-build}
if [[ -d "$build" ]]; then
  meson setup --reconfigure "$build" -Dwerror=true >/dev/null
else
  meson setup "$build" -Dwerror=true --wrap-mode=nodownload >/dev/null
fi
ninja -C "$build"
# --num-processes 2: this is a 2-core machine and several suites measure
# real scheduling and packet timing.
# The `unstable` suite holds tests known to fail too often to gate on
# (tests/explore/meson.build says which and why); they are not hidden:
# `meson test --suite unstable` runs them.
meson test -C "$build" --print-errorlogs --num-processes 2 --no-suite unstable "$@"
