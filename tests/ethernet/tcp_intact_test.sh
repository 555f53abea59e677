#!/usr/bin/env bash
# TCP through nmz under random delays (netfault with no targeted fault:
# uniform 0-4 ms per packet, so segments overtake each other): every byte
# arrives intact and in order, over IPv4 and IPv6, and every packet became
# an event. Then SIGTERM: clean exit, rules gone.
source "$(dirname "$0")/lib.sh"
write_config delays.toml 'explorePolicy = "netfault"
seed = "tcp-intact"
[explorePolicyParam]
minInterval = "0ms"
maxInterval = "4ms"
faults = []'
bg python3 "$TRAFFIC" tcp-echo-server 127.0.0.1 6101
bg python3 "$TRAFFIC" tcp-echo-server ::1 6101
wait_port 6101
start_nmz 21 delays.toml -rule-tcp-ports 6101
nmz_rules_present 21 || fail "rules not installed"
ns iptables -w -S | grep -q "NFQUEUE --queue-num 21 --queue-bypass" || fail "IPv4 rule without --queue-bypass"
ns ip6tables -w -S | grep -q "NFQUEUE --queue-num 21 --queue-bypass" || fail "IPv6 rule missing"
ns python3 "$TRAFFIC" tcp-check 127.0.0.1 6101 300000 --timeout 60 || fail "IPv4 stream damaged"
ns python3 "$TRAFFIC" tcp-check ::1 6101 300000 --timeout 60 || fail "IPv6 stream damaged"
stop_nmz TERM
events=$(nmz_count events)
echo "events: $events"
[ "${events:-0}" -gt 20 ] || fail "expected the streams' packets as events, got ${events:-none}"
nmz_rules_present 21 && fail "rules left after SIGTERM"
echo PASS
