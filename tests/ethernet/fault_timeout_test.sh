#!/usr/bin/env bash
# faultActionProbability = 1 on one flow (the rule selects port 6103): every
# packet of it is dropped, so the client times out, while a flow outside
# the rule (port 6104) keeps working. Dropped segments are retransmitted by
# the kernel and dropped again (the retransmission filter lets them through
# as new events once the original was answered).
source "$(dirname "$0")/lib.sh"
write_config drop.toml 'explorePolicy = "netfault"
seed = "drop-all"
[explorePolicyParam]
faultActionProbability = 1.0
faults = []'
bg python3 "$TRAFFIC" tcp-echo-server 127.0.0.1 6103
bg python3 "$TRAFFIC" tcp-echo-server 127.0.0.1 6104
wait_port 6103; wait_port 6104
start_nmz 23 drop.toml -rule-tcp-ports 6103
code=0
ns python3 "$TRAFFIC" tcp-check 127.0.0.1 6103 1000 --timeout 3 || code=$?
[ $code -eq 3 ] || fail "client on the faulted flow should time out (exit 3), got $code"
ns python3 "$TRAFFIC" tcp-check 127.0.0.1 6104 100000 --timeout 10 || fail "the flow outside the rule was disturbed"
stop_nmz TERM
dropped=$(nmz_count dropped)
echo "dropped: $dropped"
[ "${dropped:-0}" -ge 2 ] || fail "expected the SYN and its retransmissions to be dropped"
echo PASS
