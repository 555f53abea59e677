#!/bin/sh
# The bundled experiment (examples/experiment) end to end with few runs:
# both storages fill, every run passes or fails (none broken), the summary
# and HTML report come out, and no NFQUEUE rule of a run slot is left.
# Rates are reported, not asserted (the point of 50 runs is the README's).
# The experiment runs in a network namespace of its own, so its iptables
# rules and ports are its alone: the check for left-over rules sees only
# what this test created, whatever other users' experiments do meanwhile.
set -eu
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
if [ -z "${NMZ_EXAMPLE_OWN_NETNS:-}" ]; then
  command -v unshare > /dev/null && command -v ip > /dev/null || { echo "needs unshare and ip"; exit 77; }
  NMZ_EXAMPLE_OWN_NETNS=1 exec unshare --net sh -c 'ip link set lo up && exec sh "$0"' "$0"
fi
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
rules=$({ iptables -S; ip6tables -S 2>/dev/null || true; } | grep 'NMZ-Q' || true)
[ -z "$rules" ] || { echo "NFQUEUE rules left behind:"; echo "$rules"; exit 1; }
echo ok
