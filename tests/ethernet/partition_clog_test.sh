#!/usr/bin/env bash
# The netfault policy's targeted faults on real traffic between two nodes
# named by address (-node a=127.0.0.2 -node b=127.0.0.3; UDP a -> b, one
# datagram every 10 ms for 4 s; window from 1 s to 2.5 s after the first
# packet):
#   partition  the datagrams sent inside the window, and only those, are lost
#   clog       none is lost; those sent inside the window arrive together
#              when it closes, in order
#   duplicate  the datagrams sent inside the window arrive twice (copies
#              injected by nmz), the others once
source "$(dirname "$0")/lib.sh"
for kind in partition clog duplicate; do
  write_config $kind.toml "explorePolicy = \"netfault\"
seed = \"$kind\"
[explorePolicyParam]
nodes = [\"a\", \"b\"]
faults = [\"$kind\"]
faultStartMin = \"1s\"
faultStartMax = \"1s\"
faultDurationMin = \"1500ms\"
faultDurationMax = \"1500ms\"
duplicateProbability = 1.0"
done

run_kind() {  # KIND QUEUE
  start_nmz "$2" "$1.toml" -rule-udp-ports 6105 -node a=127.0.0.2 -node b=127.0.0.3
  bg python3 "$TRAFFIC" udp-sink 127.0.0.3 6105 6.5 "$TMP/$1"
  wait_port 6105 u
  ns python3 "$TRAFFIC" udp-send 127.0.0.3 6105 400 0.01 --bind 127.0.0.2
  wait "${PIDS[-1]}"
  stop_nmz TERM
  ns python3 "$TRAFFIC" udp-analyze "$TMP/$1" 400 | tee "$TMP/$1.stats"
}
stat() { grep -oE "$2=-?[0-9]+" "$TMP/$1.stats" | cut -d= -f2; }
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

run_kind partition 24
missing=$(stat partition missing); first=$(stat partition missing_first); last=$(stat partition missing_last)
echo "partition: lost datagrams $first..$last ($missing)"
between "$missing" 120 175 || fail "partition should lose the ~150 datagrams of its 1.5 s window, lost $missing"
[ $((last - first + 1)) -eq "$missing" ] || fail "partition losses are not one contiguous run"
between "$first" 85 115 || fail "partition should start ~1 s (datagram ~100) after the first packet, started at $first"
grep -q "fault partition on" "$NMZ_LOG" || fail "plan not logged"

run_kind clog 25
echo "clog: $(stat clog slow_count) datagrams held > 0.5 s, max latency $(stat clog max_latency_ms) ms"
[ "$(stat clog missing)" -eq 0 ] || fail "clog lost datagrams"
[ "$(stat clog inversions)" -eq 0 ] || fail "clog released out of order"
between "$(stat clog slow_count)" 90 160 || fail "clog should hold the window's datagrams"
between "$(stat clog max_latency_ms)" 1200 2000 || fail "the first clogged datagram should wait ~1.5 s"

run_kind duplicate 26
echo "duplicate: $(stat duplicate duplicates) copies, $(nmz_count duplicated) injected"
[ "$(stat duplicate unique)" -eq 400 ] || fail "duplicate lost datagrams"
between "$(stat duplicate duplicates)" 120 175 || fail "the ~150 datagrams of the window should arrive twice"
[ "$(nmz_count duplicated)" -eq "$(stat duplicate duplicates)" ] || fail "copies received differ from copies injected"
echo PASS
