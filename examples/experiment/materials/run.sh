#!/bin/sh
# One run of the kvrace experiment: the store, the reader and the writer on
# 127.0.0.1, their TCP traffic held and released by nmz's ethernet inspector
# (NFQUEUE) through this run's orchestrator (REST). With NMZ_DISABLE set the
# inspector is left out: the baseline.
set -u
W="$NMZ_WORKING_DIR"
M="$NMZ_MATERIALS_DIR"
NMZ="${NMZ_BIN:-nmz}"
# Ports from the run's slot, so that runs side by side (--parallel) do not meet.
STORE=$((20000 + (NMZ_NFQ_NUMBER - 4200) * 2))
READER=$((STORE + 1))

INSPECTOR=
if [ -z "${NMZ_DISABLE:-}" ]; then
  "$NMZ" inspectors ethernet -nfq-number "$NMZ_NFQ_NUMBER" -rule-tcp-ports "$STORE,$READER" \
    -orchestrator-url "http://127.0.0.1:$NMZ_REST_PORT/api/v3" -entity-id _namazu_ethernet_inspector \
    > "$W/inspector.log" 2>&1 &
  INSPECTOR=$!
  echo "$INSPECTOR" >> "$W/pids"
  # Wait until its rules are in place (they carry the comment nmz-q<queue>).
  i=0
  until iptables -S OUTPUT 2>/dev/null | grep -q "NMZ-Q$NMZ_NFQ_NUMBER-OUT"; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 "$INSPECTOR" 2>/dev/null; then
      echo "the ethernet inspector did not start:" >&2
      cat "$W/inspector.log" >&2
      exit 2
    fi
    sleep 0.05
  done
fi

timeout 30 python3 "$M/kvrace.py" store "$STORE" & STORE_PID=$!
timeout 30 python3 "$M/kvrace.py" reader "$STORE" "$READER" "$W/reader.out" & READER_PID=$!
echo "$STORE_PID $READER_PID" >> "$W/pids"
timeout 30 python3 "$M/kvrace.py" writer "$STORE" "$READER"
rc=$?
wait "$READER_PID" || rc=$?
wait "$STORE_PID" || rc=$?

if [ -n "$INSPECTOR" ]; then
  kill -TERM "$INSPECTOR"
  wait "$INSPECTOR"
fi
exit $rc
