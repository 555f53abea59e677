#!/usr/bin/env bash
# Installs what nmz needs, builds it, then runs a bundled flaky program
# (examples/flaky) RUNS times plainly and RUNS times under
# `nmz inspectors proc`, and prints both failure rates with their 95%
# intervals. Needs root (apt, sched_setattr).
#   bash scripts/demo.sh [TARGET] [RUNS]   (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-flaky-missed-wakeup}
runs=${2:-30}
bash scripts/setup-deps.sh
build=${NMZ_BUILD_DIR:-build}
# The options of scripts/test.sh: a different one (-Dwerror) would make the
# test command that follows recompile every target.
[[ -d "$build" ]] || meson setup "$build" -Dwerror=true --wrap-mode=nodownload >/dev/null
ninja -C "$build"
exec python3 bench/repro/repro.py --build-dir "$build" --demo "$target" --runs "$runs"
