#!/usr/bin/env bash
# A full queue: with -queue-length 20 and every packet held for 60 s, the
# kernel accepts the packets beyond the 20 at once (fail-open, the default);
# SIGTERM then releases the 20. With -fail-open=false the kernel drops them
# instead, and only the 20 held ones ever arrive.
source "$(dirname "$0")/lib.sh"
write_hold_config hold.toml

sink_lines() { wc -l < "$1" | tr -d ' '; }

# run_case PORT OUT PASSING ARRIVING [flags...]: 200 datagrams into a queue
# of 20; sets HELD_PHASE to how many arrived while the 20 were held (after
# waiting for PASSING of them), then stops nmz and waits for ARRIVING in all.
# The kernel accepts or drops the ones beyond the queue as they are sent.
run_case() {
  local port=$1 out=$2 passing=$3 arriving=$4; shift 4
  start_nmz 38 hold.toml -rule-udp-ports "$port" -queue-length 20 "$@"
  bg python3 "$TRAFFIC" udp-sink 127.0.0.1 "$port" 20 "$out"
  local sink=${PIDS[-1]}
  wait_port "$port" u
  ns python3 "$TRAFFIC" udp-send 127.0.0.1 "$port" 200 0.001
  wait_held 38 20
  wait_lines "$out" "$passing"
  HELD_PHASE=$(sink_lines "$out")
  stop_nmz TERM
  wait_lines "$out" "$arriving"
  kill "$sink" 2>/dev/null || true
}

run_case 6111 "$TMP/open" 180 200
echo "fail-open: $HELD_PHASE of 200 arrived while 20 were held"
[ "$HELD_PHASE" -eq 180 ] || fail "expected the 180 beyond the queue's 20 to be accepted at once"
ns python3 "$TRAFFIC" udp-analyze "$TMP/open" 200 | tee "$TMP/open.stats"
grep -q "missing=0" "$TMP/open.stats" || fail "datagrams lost with fail-open"

run_case 6112 "$TMP/closed" 0 20 -fail-open=false
total=$(sink_lines "$TMP/closed")
echo "fail-open=false: $HELD_PHASE arrived while held, $total in all"
[ "$HELD_PHASE" -eq 0 ] || fail "with -fail-open=false nothing should pass while the queue is full"
[ "$total" -eq 20 ] || fail "expected only the 20 held datagrams, released at SIGTERM"
echo PASS
