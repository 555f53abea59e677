#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `random` under the real nmz orchestrator: a bad parameter stops it with the
# ConfigView's message; shellActionCommand really runs every
# shellActionInterval and stops with the orchestrator.
set -eu
: "${NMZ_BIN:?run through meson test}"
dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$dir/bad.toml" <<TOML
explorePolicy = "random"
[explorePolicyParam]
faultActionProbability = 1.5
TOML
if "$NMZ_BIN" orchestrator "$dir/bad.toml" 2> "$dir/bad.err"; then fail "a bad faultActionProbability was accepted"; fi
grep -qF "$dir/bad.toml:3:26: key explorePolicyParam.faultActionProbability: expected a probability from 0 to 1, got float 1.5" "$dir/bad.err" ||
  fail "unexpected error: $(cat "$dir/bad.err")"

mkdir "$dir/ticks"
cat > "$dir/good.toml" <<TOML
explorePolicy = "random"
[explorePolicyParam]
shellActionInterval = "50ms"
shellActionCommand = "mktemp -p $dir/ticks tick.XXXXXX"
TOML
"$NMZ_BIN" orchestrator "$dir/good.toml" 2> "$dir/good.err" &
pid=$!
ticks() { find "$dir/ticks" -type f | wc -l; }
waited=0
while [ "$(ticks)" -lt 3 ]; do
  kill -0 "$pid" 2>/dev/null || fail "orchestrator exited: $(cat "$dir/good.err")"
  [ "$waited" -lt 200 ] || fail "no shell actions after 20 s: $(cat "$dir/good.err")"
  sleep 0.1
  waited=$((waited + 1))
done
kill -INT "$pid"
wait "$pid" || fail "orchestrator exited with $? on SIGINT"
pid=
after_stop=$(ticks)
sleep 0.3
[ "$(ticks)" -eq "$after_stop" ] || fail "shell actions went on after the orchestrator stopped"
echo "ok: $after_stop shell actions ran"
