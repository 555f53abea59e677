#!/bin/sh
# Ends whatever run.sh started and left behind (a run cut short).
[ -f "$NMZ_WORKING_DIR/pids" ] || exit 0
for pid in $(cat "$NMZ_WORKING_DIR/pids"); do
  kill -TERM "$pid" 2>/dev/null
done
exit 0
