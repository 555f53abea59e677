#!/usr/bin/env bash
# Installs what nmz needs, builds it with -Werror and runs every test suite.
# Needs root (apt, and the real NFQUEUE/FUSE/sched_setattr tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
build=${NMZ_BUILD_DIR:-build}
if [[ -d "$build" ]]; then
  # Only when an option differs (a build set up by hand): a reconfigure that
  # changes compiler flags recompiles every target.
  if [[ $(meson introspect --buildoptions "$build" | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "werror"))') != True ]]; then
    meson configure "$build" -Dwerror=true >/dev/null
  fi
else
  meson setup "$build" -Dwerror=true --wrap-mode=nodownload >/dev/null
fi
ninja -C "$build"
# --num-processes 2: this is a 2-core machine and several suites measure
# real scheduling and packet timing.
# The `unstable` suite is where a test known to fail too often to gate on
# goes (its meson.build says why; none is there today); such a test is not
# hidden: `meson test --suite unstable` runs it.
meson test -C "$build" --print-errorlogs --num-processes 2 --no-suite unstable "$@"
