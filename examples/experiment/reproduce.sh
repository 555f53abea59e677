#!/bin/sh
# One command for the bundled experiment: N runs of kvrace with nmz and N
# without (NMZ_DISABLE: no inspector), then both summaries.
#   examples/experiment/reproduce.sh [N] [WORKDIR]
# Needs root. Uses $NMZ_BIN, else build/core/nmz of this checkout, else nmz.
set -eu
N="${1:-50}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${2:-$(mktemp -d /tmp/nmz-kvrace.XXXXXX)}"
if [ -z "${NMZ_BIN:-}" ]; then
  if [ -x "$HERE/../../build/core/nmz" ]; then NMZ_BIN="$HERE/../../build/core/nmz"; else NMZ_BIN=nmz; fi
fi
export NMZ_BIN

"$NMZ_BIN" init --force "$HERE/config.toml" "$HERE/materials" "$WORK/with-nmz"
"$NMZ_BIN" init --force "$HERE/config.toml" "$HERE/materials" "$WORK/plain"

echo "== $N runs with nmz (ethernet inspector, random policy)"
"$NMZ_BIN" run -n "$N" --parallel 2 "$WORK/with-nmz" || true
echo "== $N runs without nmz (NMZ_DISABLE=1)"
NMZ_DISABLE=1 "$NMZ_BIN" run -n "$N" --parallel 2 "$WORK/plain" || true

echo
echo "== with nmz"
"$NMZ_BIN" summary --html "$WORK/with-nmz.html" "$WORK/with-nmz" || true
echo
echo "== without nmz"
"$NMZ_BIN" summary "$WORK/plain" || true
echo
echo "storages and report: $WORK (with-nmz.html)"
