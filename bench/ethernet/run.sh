#!/usr/bin/env bash
# Ethernet inspector overhead, in a network namespace this script creates:
# small TCP request/response (msgs/s, p50/p99 latency in µs; 1 and 8
# connections) and bulk TCP throughput (MB/s), each with
#   none     no NFQUEUE rule
#   minimal  an accept-everything libnetfilter_queue loop (the practical limit)
#   batched  the same loop making nmz's system calls (one recvmmsg for what is
#            queued, one send for the batch's verdicts): nmz against it is
#            nmz's own work alone
#   nmz      nmz inspectors ethernet, autopilot with the dumb policy (zero delay)
#   nmz/128  the same with -payload-bytes 128 (events carry the head of
#            each packet instead of all of it)
#   noproc   nmz with -name-by-process=false: endpoints named by address
#            and port as before; nmz/noproc is what naming the endpoints of
#            flows on one address after their processes costs
#   before   with NMZ_BENCH_BASELINE=/path/to/an/older/nmz (run from its own
#            build tree, which has its plugins), that nmz as nmz runs: nmz/before
#            is a change's effect, measured in the same run
# plus new connections per second (one request each, p50 of a whole
# connection in µs), where that naming looks up each new connection's
# socket, printed side by side with ratios. The cells are measured in turn,
# ROUNDS times over (so that a slow spell of the machine hits all of them),
# and each cell is the median of its rounds. Needs root.
#   [NMZ_BENCH_BASELINE=OLD_NMZ] bench/ethernet/run.sh [BUILD_DIR] [SECONDS] [ROUNDS]
set -euo pipefail
build=$(realpath "${1:-build}")
seconds=${2:-3}
rounds=${3:-5}
nmz="$build/core/nmz"
[ -x "$nmz" ] || nmz="$build/nmz"
baseline=${NMZ_BENCH_BASELINE:-}
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "NMZ_BENCH_BASELINE: $baseline is not an executable" >&2; exit 2; }
load="$build/bench/ethernet/tcp_load"
minimal="$build/bench/ethernet/minimal_nfq"
for f in "$nmz" "$load" "$minimal"; do [ -x "$f" ] || { echo "missing $f: build first" >&2; exit 1; }; done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, NFQUEUE)" >&2; exit 77; }

ns="nmzbench-$$"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
port=7001
ip netns exec "$ns" "$load" server $port & pids+=($!)
sleep 0.3

cat > "$tmp/dumb.toml" <<TOML
explorePolicy = "dumb"
TOML

measure() {  # label
  local label=$1
  read -r rr1_rate rr1_p50 rr1_p99 < <(in_ns "$load" rr 127.0.0.1 $port "$seconds" 1)
  read -r rr8_rate rr8_p50 rr8_p99 < <(in_ns "$load" rr 127.0.0.1 $port "$seconds" 8)
  read -r bulk < <(in_ns "$load" bulk 127.0.0.1 $port "$seconds")
  read -r conn_rate conn_p50 < <(in_ns "$load" connect 127.0.0.1 $port "$seconds")
  echo "$label $rr1_rate $rr1_p50 $rr1_p99 $rr8_rate $rr8_p50 $rr8_p99 $bulk $conn_rate $conn_p50" >> "$tmp/results"
}

wait_for_queue() {  # queue number
  for _ in $(seq 100); do
    in_ns grep -qE "^ *$1 " /proc/net/netfilter/nfnetlink_queue 2>/dev/null && return 0
    sleep 0.05
  done
  echo "queue $1 never bound" >&2; return 1
}

run_minimal() {  # label queue [flags]
  local label=$1 queue=$2; shift 2
  in_ns iptables -w -I OUTPUT -p tcp -m multiport --ports $port -j NFQUEUE --queue-num "$queue" --queue-bypass
  ip netns exec "$ns" "$minimal" "$queue" "$@" 2>/dev/null & minimal_pid=$!; pids+=($minimal_pid)
  wait_for_queue "$queue"
  measure "$label"
  kill -TERM $minimal_pid; wait $minimal_pid || true
  in_ns iptables -w -D OUTPUT -p tcp -m multiport --ports $port -j NFQUEUE --queue-num "$queue" --queue-bypass
}

run_nmz() {  # label queue nmz [flags]
  local label=$1 queue=$2 binary=$3; shift 3
  ip netns exec "$ns" "$binary" inspectors ethernet -autopilot "$tmp/dumb.toml" -nfq-number "$queue" \
    -rule-tcp-ports $port "$@" 2> "$tmp/nmz.log" & nmz_pid=$!; pids+=($nmz_pid)
  wait_for_queue "$queue"
  measure "$label"
  kill -TERM $nmz_pid; wait $nmz_pid || { echo "nmz failed:"; cat "$tmp/nmz.log"; exit 1; }
}

for _ in $(seq "$rounds"); do
  measure none
  run_minimal minimal 11
  run_minimal batched 14 --batch
  run_nmz nmz 12 "$nmz"
  run_nmz nmz/128 13 "$nmz" -payload-bytes 128
  run_nmz noproc 15 "$nmz" -name-by-process=false
  [ -z "$baseline" ] || run_nmz before 16 "$baseline"
done

python3 - "$tmp/results" "$seconds" "$rounds" <<'PY'
import statistics
import sys
samples = {}
for line in open(sys.argv[1]):
    f = line.split()
    samples.setdefault(f[0], []).append([float(x) for x in f[1:]])
rows = {label: [statistics.median(column) for column in zip(*runs)] for label, runs in samples.items()}
names = ["rr x1 msgs/s", "rr x1 p50 us", "rr x1 p99 us", "rr x8 msgs/s", "rr x8 p50 us", "rr x8 p99 us", "bulk MB/s",
         "conns/s", "conn p50 us"]
print(f"ethernet inspector bench (median of {sys.argv[3]} rounds of {sys.argv[2]} s per measurement, "
      "loopback in a private netns, 64-byte messages)")
before = "before" in rows
print(f"{'':14}{'none':>10}{'minimal':>10}{'batched':>10}{'nmz':>10}{'nmz/128':>10}{'noproc':>10}"
      + (f"{'before':>10}" if before else "")
      + f"{'nmz/minimal':>13}{'nmz/batched':>13}{'nmz128/min':>12}{'minimal/none':>14}{'nmz/noproc':>12}"
      + (f"{'nmz/before':>12}{'before/noproc':>15}" if before else ""))
for i, name in enumerate(names):
    n, m, b, z, t, p = (rows[label][i] for label in ("none", "minimal", "batched", "nmz", "nmz/128", "noproc"))
    o = rows["before"][i] if before else 0
    print(f"{name:14}{n:10.1f}{m:10.1f}{b:10.1f}{z:10.1f}{t:10.1f}{p:10.1f}"
          + (f"{o:10.1f}" if before else "")
          + f"{z / m:13.2f}{z / b:13.2f}{t / m:12.2f}{m / n:14.2f}{z / p:12.2f}"
          + (f"{z / o:12.2f}{o / p:15.2f}" if before else ""))
# The issue's target: at least 80 % of the minimal loop's packet rate, p50
# latency within 2x of it.
ratio = {name: rows["nmz"][i] / rows["minimal"][i] for i, name in enumerate(names)}
checks = [(name, ratio[name], ratio[name] >= 0.8) for name in ("rr x1 msgs/s", "rr x8 msgs/s", "bulk MB/s")]
checks += [(name, ratio[name], ratio[name] <= 2.0) for name in ("rr x1 p50 us", "rr x8 p50 us")]
print("target (rate >= 0.80x, p50 <= 2x of minimal): "
      + ("met" if all(ok for _, _, ok in checks) else "NOT met: " + ", ".join(
          f"{name} {value:.2f}" for name, value, ok in checks if not ok)))
PY
