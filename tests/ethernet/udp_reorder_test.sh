#!/usr/bin/env bash
# UDP datagrams under random delays (0-30 ms, independent per packet) get
# reordered: measured as inversions in the receive order. Without nmz the
# same traffic arrives in order (the control).
source "$(dirname "$0")/lib.sh"
write_config delays.toml 'explorePolicy = "netfault"
seed = "udp-reorder"
[explorePolicyParam]
minInterval = "0ms"
maxInterval = "30ms"
faults = []'
run_udp() {  # OUT
  bg python3 "$TRAFFIC" udp-sink 127.0.0.1 6102 6 "$TMP/$1"
  wait_port 6102 u
  ns python3 "$TRAFFIC" udp-send 127.0.0.1 6102 300 0.002
  wait "${PIDS[-1]}"
  ns python3 "$TRAFFIC" udp-analyze "$TMP/$1" 300 | tee "$TMP/$1.stats"
}
run_udp plain
grep -q "inversions=0 " "$TMP/plain.stats" || fail "datagrams reordered without nmz: the control is broken"
start_nmz 22 delays.toml -rule-udp-ports 6102
run_udp delayed
stop_nmz TERM
inversions=$(grep -oE "inversions=[0-9]+" "$TMP/delayed.stats" | cut -d= -f2)
grep -q "missing=0" "$TMP/delayed.stats" || fail "datagrams lost under delays alone"
echo "measured: $inversions inversions among 300 datagrams sent 2 ms apart with 0-30 ms delays"
[ "$inversions" -gt 10 ] || fail "expected reordering under random delays"
echo PASS
