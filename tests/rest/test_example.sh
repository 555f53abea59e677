#!/bin/sh
# The bundled experiment (examples/experiment) end to end with few runs:
# both storages fill, every run passes or fails (none broken), the summary
# and HTML report come out, and no NFQUEUE rule of a run slot is left.
# Rates are reported, not asserted (the point of 50 runs is the README's).
set -eu
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
for name in ethernet random; do
  "$NMZ_BIN" plugins list 2>/dev/null | grep -q "^$name " || { echo "plugin $name not built"; exit 77; }
done
WORK=$(mktemp -d /tmp/nmz-example-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$NMZ_SOURCE_ROOT/examples/experiment/reproduce.sh" 6 "$WORK" > "$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
cat "$WORK/out"
for storage in with-nmz plain; do
  "$NMZ_BIN" summary --json "$WORK/$storage" > "$WORK/$storage.json"
  python3 - "$WORK/$storage.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["runs"] == 6 and s["broken"] == 0 and s["unreadable"] == 0, s
PY
done
grep -q "<svg" "$WORK/with-nmz.html"
if iptables -S | grep -q 'NMZ-Q4[2-9][0-9][0-9]-OUT'; then
  echo "NFQUEUE rules left behind:"; iptables -S | grep NMZ-Q; exit 1
fi
echo ok
