#!/bin/bash
# One run of leaserace: the server and two clients, each in a network
# namespace of its own, their TCP traffic through nmz's ethernet inspector.
# LEASERACE_MODE=fixed runs the fixed twin; NMZ_DISABLE=1 leaves nmz out.
. "$NMZ_MATERIALS_DIR/netns.sh"
W="$NMZ_WORKING_DIR"
PY="$NMZ_MATERIALS_DIR/leaserace.py"
netns_up 3 7000 server c1 c2 || exit 2
# Node 0 is the server. The inspector names the nodes (server, c1, c2), and
# the explore policy binds its roles by those names: c1 connecting before c2
# starts only keeps the runs alike.
in_node 0 timeout 60 python3 "$PY" server --address "${NODE_IP[0]}" --mode "${LEASERACE_MODE:-buggy}" \
  --report "$W/server.json" & SERVER=$!
BACKGROUND+=("$SERVER")
# Readiness, with room for a machine loaded far beyond its cores.
listening=
for _ in $(seq 1500); do in_node 0 ss -Hlnt "sport = :7000" | grep -q . && { listening=1; break; }; sleep 0.02; done
[ -n "$listening" ] || { echo "the server did not listen on port 7000 within 30 s" >&2; exit 2; }
in_node 1 timeout 60 python3 "$PY" client --server "${NODE_IP[0]}" --name c1 > "$W/c1.out" 2>&1 & C1=$!
wait_for_line "$W/c1.out" connected 60 || { echo "c1 did not connect" >&2; exit 2; }
in_node 2 timeout 60 python3 "$PY" client --server "${NODE_IP[0]}" --name c2 --fenced > "$W/c2.out" 2>&1 & C2=$!
rc=0
wait "$C1" || rc=$?
wait "$C2" || rc=$?
wait "$SERVER" || rc=$?
BACKGROUND=()
exit $rc
