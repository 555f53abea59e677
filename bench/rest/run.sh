#!/bin/bash
# REST round trips per second in Namazu's one-event exchange (POST an event,
# long-poll GET its action, DELETE it; the unmodified Namazu wire format),
# against a real `nmz orchestrator` with the dumb policy at zero delay, for
# 1, 8 and 16 entities, rounds interleaved, median of the rounds. Baselines
# measured in the same run: wire_floor_server, the least any server can do
# for that exchange over loopback TCP (canned answers, no parsing), i.e. the
# ceiling this machine allows right now with this client; and the same
# exchange through the in-process local endpoint. Client and server share
# the machine's cores, so the CPU time each spends per round trip (client:
# getrusage; server: /proc/PID/stat over the round, user and system) and the
# context switches per round trip (client: getrusage; server: the sum over
# its threads in /proc/PID/task/*/status) are printed too: they are what the
# throughput comes from, and they move less with the machine's load. From
# them, the rate two cores dedicated to client and server would sustain:
# with one entity the exchange is serial (server + client CPU per round
# trip), with 8 and 16 the two overlap (the larger of the two bounds it).
# NMZ_REST_BEFORE=/path/to/nmz adds an older nmz, measured interleaved.
# Usage: bench/rest/run.sh [BUILD_DIR] [SECONDS_PER_ROUND] [ROUNDS]
set -euo pipefail
BUILD="${1:-build}"
SECONDS_PER_ROUND="${2:-2}"
ROUNDS="${3:-5}"
ninja -C "$BUILD" core/nmz bench/rest/bench_rest bench/rest/namazu_wire_client bench/rest/wire_floor_server \
  plugins/dumb/nmz-dumb.so > /dev/null
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
printf 'explorePolicy = "dumb"\nrestPort = 0\nseed = 1\n' > "$work/config.toml"

start_orchestrator() {  # NAME BINARY -> sets port_NAME and pid_NAME
  : > "$work/$1.log"
  "$2" orchestrator "$work/config.toml" > "$work/$1.log" 2>&1 &
  pids+=($!)
  eval "pid_$1=$!"
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
variants+=(floor)
"$BUILD/bench/rest/wire_floor_server" > "$work/floor.port" &
pids+=($!)
pid_floor=$!
for _ in $(seq 200); do [[ -s "$work/floor.port" ]] && break; sleep 0.05; done
port_floor=$(cat "$work/floor.port")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
server_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
server_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }
ticks_per_second=$(getconf CLK_TCK)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  for entities in 1 8 16; do
    for v in "${variants[@]}"; do
      port_var="port_$v"
      pid_var="pid_$v"
      read -r start_user start_system < <(server_ticks "${!pid_var}")
      start_switches=$(server_switches "${!pid_var}")
      read -r rate client_us client_cs < <("$BUILD/bench/rest/namazu_wire_client" "${!port_var}" "$entities" \
        "$SECONDS_PER_ROUND")
      read -r end_user end_system < <(server_ticks "${!pid_var}")
      end_switches=$(server_switches "${!pid_var}")
      echo "$rate" >> "$work/$v-$entities"
      echo "$client_us" >> "$work/$v-$entities-client"
      echo "$client_cs" >> "$work/$v-$entities-client-cs"
      trips=$(awk -v r="$rate" -v s="$SECONDS_PER_ROUND" 'BEGIN {print (r > 0 ? r * s : 1)}')
      per_trip() { awk -v x="$1" -v n="$trips" -v scale="$2" 'BEGIN {printf "%.'"$3"'f\n", x * scale / n}'; }
      per_trip $((end_user + end_system - start_user - start_system)) $((1000000 / ticks_per_second)) 1 \
        >> "$work/$v-$entities-server"
      per_trip $((end_user - start_user)) $((1000000 / ticks_per_second)) 1 >> "$work/$v-$entities-server-user"
      per_trip $((end_switches - start_switches)) 1 2 >> "$work/$v-$entities-server-cs"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
baseline=$("$BUILD/bench/rest/bench_rest" --local-only 32000)
local_one=$(echo "$baseline" | awk '/1 entity/ {print $NF}')
local_sixteen=$(echo "$baseline" | awk '/16 entities/ {print $NF}')

label_of() {
  case $1 in
    now) echo "nmz now" ;;
    before) echo "nmz before ($NMZ_REST_BEFORE)" ;;
    floor) echo "baseline: wire_floor_server (canned answers)" ;;
  esac
}
declare -A result
echo "load average (1, 5, 15 min) before: $load_before, after: $load_after; $(nproc) cores"
printf '%-62s %13s %13s %13s\n' "REST one-event exchange (Namazu wire), median of $ROUNDS" "1 entity" "8 entities" "16 entities"
for v in "${variants[@]}"; do
  for entities in 1 8 16; do
    result[$v-$entities]=$(median < "$work/$v-$entities")
    result[$v-$entities-client]=$(median < "$work/$v-$entities-client")
    for measure in server server-user server-cs client-cs; do
      result[$v-$entities-$measure]=$(median < "$work/$v-$entities-$measure")
    done
    # Two dedicated cores: 1 entity runs server and client in series; more
    # entities overlap them, the busier side bounds the rate.
    result[$v-$entities-cores]=$(awk -v s="${result[$v-$entities-server]}" -v c="${result[$v-$entities-client]}" \
      -v n="$entities" 'BEGIN {m = (n == 1 ? s + c : (s > c ? s : c)); printf "%.0f\n", (m > 0 ? 1e6 / m : 0)}')
  done
  printf '%-62s %13s %13s %13s\n' "$(label_of "$v"): round trips/s" "${result[$v-1]}" "${result[$v-8]}" "${result[$v-16]}"
done
row() {  # LABEL FORMAT-OF-ONE-CELL (with %s for the entity count)
  local cells=()
  for entities in 1 8 16; do cells+=("$(eval "echo \"$2\"")"); done
  printf '%-62s %13s %13s %13s\n' "$1" "${cells[@]}"
}
for v in "${variants[@]}"; do
  short=$(label_of "$v" | cut -c1-26)
  row "$short: CPU us/trip, server (of it user)" '${result[$v-$entities-server]} (${result[$v-$entities-server-user]})'
  row "$short: CPU us/trip, client" '${result[$v-$entities-client]}'
  row "$short: context switches/trip, server+client" \
    '${result[$v-$entities-server-cs]}+${result[$v-$entities-client-cs]}'
  row "$short: rate 2 dedicated cores sustain at that CPU" '${result[$v-$entities-cores]}'
done
printf '%-62s %13s %13s %13s\n' "baseline: in-process local endpoint, round trips/s" "$local_one" "-" "$local_sixteen"
awk -v a="${result[now-1]}" -v b="${result[floor-1]}" -v c="${result[now-8]}" -v d="${result[floor-8]}" \
    -v e="${result[now-16]}" -v f="${result[floor-16]}" \
  'BEGIN {printf "%-62s %12.2fx %12.2fx %12.2fx\n", "ratio nmz now / wire_floor_server", a / b, c / d, e / f}'
if [[ -n "${NMZ_REST_BEFORE:-}" ]]; then
  awk -v a="${result[now-1]}" -v b="${result[before-1]}" -v c="${result[now-8]}" -v d="${result[before-8]}" \
      -v e="${result[now-16]}" -v f="${result[before-16]}" \
    'BEGIN {printf "%-62s %12.2fx %12.2fx %12.2fx\n", "ratio nmz now / nmz before", a / b, c / d, e / f}'
fi
echo
echo "| REST: one event POSTed, its action long-polled and DELETEd, C++ client, 1 / 8 / 16 entities | wire_floor_server ${result[floor-1]} / ${result[floor-8]} / ${result[floor-16]} per s | nmz now ${result[now-1]} / ${result[now-8]} / ${result[now-16]} per s | >= 20,000 per s with 8-16 entities, >= 8,000 with 1 |"
awk -v one="${result[now-1]}" -v eight="${result[now-8]}" -v sixteen="${result[now-16]}" 'BEGIN {
  short = ""
  if (one < 8000) short = short sprintf(" 1 entity %.0f%% short;", 100 * (8000 - one) / 8000)
  if (eight < 20000) short = short sprintf(" 8 entities %.0f%% short;", 100 * (20000 - eight) / 20000)
  if (sixteen < 20000) short = short sprintf(" 16 entities %.0f%% short;", 100 * (20000 - sixteen) / 20000)
  print (short == "" ? "target met" : "target NOT met:" short)
}'
awk -v one="${result[now-1-cores]}" -v eight="${result[now-8-cores]}" -v sixteen="${result[now-16-cores]}" 'BEGIN {
  short = ""
  if (one < 8000) short = short sprintf(" 1 entity %.0f%% short;", 100 * (8000 - one) / 8000)
  if (eight < 20000) short = short sprintf(" 8 entities %.0f%% short;", 100 * (20000 - eight) / 20000)
  if (sixteen < 20000) short = short sprintf(" 16 entities %.0f%% short;", 100 * (20000 - sixteen) / 20000)
  printf "on two dedicated cores at the CPU cost measured (%s / %s / %s per s): %s\n", one, eight, sixteen,
    (short == "" ? "target met" : "target NOT met:" short)
}'
awk -v one="${result[floor-1]}" -v eight="${result[floor-8]}" -v sixteen="${result[floor-16]}" 'BEGIN {
  if (one < 8000 || eight < 20000 || sixteen < 20000)
    print "(the canned-answer floor server does not reach the target on this machine now either)"
}'

echo
echo "nmz's own transceiver (batched extension), for reference:"
"$BUILD/bench/rest/bench_rest" 32000
