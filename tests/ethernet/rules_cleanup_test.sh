#!/usr/bin/env bash
# Rules and held packets when the inspector ends:
#   SIGTERM  every held packet is released at once (a connect held by a
#            60 s delay completes right away), nmz's rules are removed, and
#            a rule the user wrote by hand stays;
#   SIGKILL  nmz's rules stay behind, but traffic keeps flowing because
#            they carry --queue-bypass (no reader: the kernel accepts); the
#            next nmz on that queue removes the stale rules before adding
#            its own (and deleting the namespace removes them too), and
#            `nmz tools cleanup` removes them without a new start.
source "$(dirname "$0")/lib.sh"
write_config hold.toml 'explorePolicy = "netfault"
seed = "hold"
[explorePolicyParam]
minInterval = "60s"
maxInterval = "60s"
faults = []'
write_config dumb.toml 'explorePolicy = "dumb"'
bg python3 "$TRAFFIC" tcp-echo-server 127.0.0.1 6106
wait_port 6106
ns iptables -w -A OUTPUT -p udp --dport 9 -m comment --comment user-rule -j ACCEPT

# SIGTERM releases held packets.
start_nmz 27 hold.toml -rule-tcp-ports 6106
start=$(date +%s)
ns python3 "$TRAFFIC" tcp-check 127.0.0.1 6106 5000 --timeout 30 > "$TMP/held.out" &
client=$!
wait_held 27 1
kill -0 $client 2>/dev/null || fail "the client finished although its packets were held"
stop_nmz TERM
wait $client || { cat "$TMP/held.out"; fail "the held client did not complete after SIGTERM"; }
elapsed=$(( $(date +%s) - start ))
released=$(grep -oE "released [0-9]+ held" "$NMZ_LOG" | grep -oE "[0-9]+")
echo "SIGTERM released $released held packet(s); client done after ${elapsed}s"
[ "$released" -ge 1 ] || fail "nothing was held when SIGTERM came"
[ "$elapsed" -lt 10 ] || fail "held packets were not released promptly"
nmz_rules_present 27 && fail "rules left after SIGTERM"
ns iptables -w -S OUTPUT | grep -q user-rule || fail "the user's own rule was removed"

# SIGKILL: stale rules, traffic flows, the next start cleans up.
start_nmz 27 dumb.toml -rule-tcp-ports 6106
stop_nmz KILL
nmz_rules_present 27 || fail "expected stale rules after SIGKILL (test premise)"
ns python3 "$TRAFFIC" tcp-check 127.0.0.1 6106 100000 --timeout 10 || fail "traffic blocked after SIGKILL (no --queue-bypass?)"
start_nmz 27 dumb.toml -rule-tcp-ports 6106
grep -q "removing iptables rules that an earlier nmz left for NFQUEUE 27" "$NMZ_LOG" || fail "stale rules not reported"
[ "$(ns iptables -w -S | grep -c 'comment nmz-q27 -j NMZ-Q27-OUT')" -eq 1 ] || fail "stale jump rule not replaced"
ns python3 "$TRAFFIC" tcp-check 127.0.0.1 6106 100000 --timeout 10 || fail "traffic broken after restart"
stop_nmz TERM
[ "$(nmz_count events)" -gt 0 ] || fail "the restarted inspector saw no packets"
nmz_rules_present 27 && fail "rules left after the second SIGTERM"

# SIGKILL, then `nmz tools cleanup` (no nmz start): it applies the killed
# inspector's restore record, in the namespace the rules were added in.
start_nmz 27 dumb.toml -rule-tcp-ports 6106
stop_nmz KILL
nmz_rules_present 27 || fail "expected stale rules after SIGKILL (test premise)"
"$NMZ_BIN" tools cleanup > "$TMP/cleanup.out" 2>&1 || { cat "$TMP/cleanup.out"; fail "nmz tools cleanup failed"; }
grep -q "ethernet inspector: iptables rules of NFQUEUE 27" "$TMP/cleanup.out" || { cat "$TMP/cleanup.out"; fail "cleanup did not list the killed inspector's rules"; }
nmz_rules_present 27 && { cat "$TMP/cleanup.out"; fail "rules left after nmz tools cleanup"; }
ns iptables -w -S OUTPUT | grep -q user-rule || fail "nmz tools cleanup removed the user's own rule"
echo PASS
