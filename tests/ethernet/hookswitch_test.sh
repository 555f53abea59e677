#!/usr/bin/env bash
# Hookswitch (ZeroMQ PAIR) mode with a client playing hookswitch: replies
# keep the metadata and add "op"; held frames are accepted after the
# policy's delay, retransmissions of a held TCP segment (IPv4 and IPv6) are
# dropped at once without an event, non-IP frames pass as events, malformed
# messages get no reply; with faultActionProbability = 1 everything is
# dropped.
source "$(dirname "$0")/lib.sh"
client="$NMZ_BUILD_ROOT/tests/ethernet/hookswitch_client"
write_config hold.toml 'explorePolicy = "netfault"
[explorePolicyParam]
minInterval = "300ms"
maxInterval = "300ms"
faults = []'
write_config drop.toml 'explorePolicy = "netfault"
[explorePolicyParam]
faultActionProbability = 1.0
faults = []'
for mode in hold drop; do
  address="ipc://$TMP/hookswitch-$mode"
  NMZ_LOG="$TMP/nmz-$mode.log"
  ip netns exec "$NS" "$NMZ_BIN" inspectors ethernet -autopilot "$TMP/$mode.toml" -hookswitch "$address" > "$NMZ_LOG" 2>&1 &
  NMZ_PID=$!; PIDS+=($NMZ_PID)
  for _ in $(seq 100); do grep -q "serving hookswitch" "$NMZ_LOG" && break; sleep 0.05; done
  ns "$client" "$address" $mode || fail "hookswitch $mode"
  stop_nmz TERM
  grep -q "ignored" "$NMZ_LOG" || fail "malformed messages not reported"
  # Held: the repeats are retransmissions (no event). Dropped at once: the
  # original was answered before its repeat came, so the repeat is new.
  want_events=$([ $mode = hold ] && echo 4 || echo 6)
  want_filtered=$([ $mode = hold ] && echo 2 || echo 0)
  [ "$(nmz_count events)" -eq "$want_events" ] || fail "$mode: expected $want_events events, got $(nmz_count events)"
  [ "$(nmz_count retransmissions)" -eq "$want_filtered" ] || fail "$mode: expected $want_filtered retransmissions dropped"
done
echo PASS
