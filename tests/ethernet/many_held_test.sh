#!/usr/bin/env bash
# Thousands of packets held at once: 3000 UDP datagrams all held by a 60 s
# delay, then SIGTERM releases every one of them, in arrival order, none
# lost.
source "$(dirname "$0")/lib.sh"
write_hold_config hold.toml
start_nmz 36 hold.toml -rule-udp-ports 6110
bg python3 "$TRAFFIC" udp-sink 127.0.0.1 6110 20 "$TMP/sink"
sink=${PIDS[-1]}
wait_port 6110 u
# A held packet still counts against its sender's socket buffer (default
# ~200 KiB, a few hundred datagrams): a larger one lets one socket have
# all 3000 in flight.
ns python3 "$TRAFFIC" udp-send 127.0.0.1 6110 3000 0.0002 --sndbuf 33554432
wait_held 36 3000
[ ! -s "$TMP/sink" ] || fail "datagrams arrived although held for 60 s"
stop_nmz TERM
released=$(grep -oE "released [0-9]+ held" "$NMZ_LOG" | grep -oE "[0-9]+")
echo "released $released held packets at SIGTERM"
[ "$released" -eq 3000 ] || fail "expected all 3000 datagrams held"
wait_lines "$TMP/sink" 3000
kill "$sink" 2>/dev/null || true
ns python3 "$TRAFFIC" udp-analyze "$TMP/sink" 3000 | tee "$TMP/stats"
grep -q "missing=0" "$TMP/stats" || fail "released datagrams lost"
grep -q "inversions=0 " "$TMP/stats" || fail "released out of arrival order"
echo PASS
