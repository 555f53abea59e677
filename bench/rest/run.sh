#!/bin/bash
# REST round trips per second in Namazu's one-event exchange (POST an event,
# long-poll GET its action, DELETE it; the unmodified Namazu wire format),
# against a real `nmz orchestrator` with the dumb policy at zero delay, for
# 1, 8 and 16 entities, rounds interleaved. The baseline measured in the
# same run is the same exchange through the in-process local endpoint
# (bench_rest): the ratio is the price of HTTP. NMZ_REST_BEFORE=/path/to/nmz
# adds an older nmz, measured interleaved with this one.
# Usage: bench/rest/run.sh [BUILD_DIR] [SECONDS_PER_ROUND] [ROUNDS]
set -euo pipefail
BUILD="${1:-build}"
SECONDS_PER_ROUND="${2:-2}"
ROUNDS="${3:-3}"
ninja -C "$BUILD" core/nmz bench/rest/bench_rest bench/rest/namazu_wire_client plugins/dumb/nmz-dumb.so > /dev/null
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
printf 'explorePolicy = "dumb"\nrestPort = 0\nseed = 1\n' > "$work/config.toml"

start_orchestrator() {  # NAME BINARY -> sets port_NAME
  : > "$work/$1.log"
  "$2" orchestrator "$work/config.toml" > "$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/api/v3.*|\1|p' "$work/$1.log")
    [[ -n "$port" ]] && { eval "port_$1=$port"; return; }
    sleep 0.05
  done
  echo "the orchestrator $2 did not start:" >&2; cat "$work/$1.log" >&2; exit 1
}

variants=(now)
start_orchestrator now "$BUILD/core/nmz"
if [[ -n "${NMZ_REST_BEFORE:-}" ]]; then
  variants+=(before)
  start_orchestrator before "$NMZ_REST_BEFORE"
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for round in $(seq "$ROUNDS"); do
  for entities in 1 8 16; do
    for v in "${variants[@]}"; do
      port_var="port_$v"
      "$BUILD/bench/rest/namazu_wire_client" "${!port_var}" "$entities" "$SECONDS_PER_ROUND" >> "$work/$v-$entities"
    done
  done
done
baseline=$("$BUILD/bench/rest/bench_rest" --local-only 32000)
local_one=$(echo "$baseline" | awk '/1 entity/ {print $NF}')
local_sixteen=$(echo "$baseline" | awk '/16 entities/ {print $NF}')

declare -A result
printf '%-62s %13s %13s %13s\n' "REST one-event exchange (Namazu wire), median of $ROUNDS" "1 entity" "8 entities" "16 entities"
for v in "${variants[@]}"; do
  for entities in 1 8 16; do result[$v-$entities]=$(median < "$work/$v-$entities"); done
  label="nmz $v"; [[ $v == before ]] && label="nmz before ($NMZ_REST_BEFORE)"
  printf '%-62s %13s %13s %13s\n' "$label: round trips/s" "${result[$v-1]}" "${result[$v-8]}" "${result[$v-16]}"
done
printf '%-62s %13s %13s %13s\n' "baseline: in-process local endpoint, round trips/s" "$local_one" "-" "$local_sixteen"
awk -v a="${result[now-1]}" -v b="$local_one" -v c="${result[now-16]}" -v d="$local_sixteen" \
  'BEGIN {printf "%-62s %13.3f %13s %13.3f\n", "ratio nmz now / baseline", a / b, "-", c / d}'
if [[ -n "${NMZ_REST_BEFORE:-}" ]]; then
  awk -v a="${result[now-1]}" -v b="${result[before-1]}" -v c="${result[now-8]}" -v d="${result[before-8]}" \
      -v e="${result[now-16]}" -v f="${result[before-16]}" \
    'BEGIN {printf "%-62s %12.2fx %12.2fx %12.2fx\n", "ratio nmz now / nmz before", a / b, c / d, e / f}'
fi
echo
echo "| REST: one event POSTed, its action long-polled and DELETEd, C++ client, 1 / 8 / 16 entities | in-process ${local_one} / - / ${local_sixteen} | nmz now ${result[now-1]} / ${result[now-8]} / ${result[now-16]} per s | >= 20,000 per s with 8-16 entities, >= 8,000 with 1 |"
awk -v one="${result[now-1]}" -v eight="${result[now-8]}" -v sixteen="${result[now-16]}" 'BEGIN {
  short = ""
  if (one < 8000) short = short sprintf(" 1 entity %.0f%% short;", 100 * (8000 - one) / 8000)
  if (eight < 20000) short = short sprintf(" 8 entities %.0f%% short;", 100 * (20000 - eight) / 20000)
  if (sixteen < 20000) short = short sprintf(" 16 entities %.0f%% short;", 100 * (20000 - sixteen) / 20000)
  print (short == "" ? "target met" : "target NOT met:" short)
}'
echo
echo "nmz's own transceiver (batched extension), for reference:"
"$BUILD/bench/rest/bench_rest" 32000
