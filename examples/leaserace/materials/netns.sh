# Sourced by run.sh scripts of the explore experiments: N network namespaces
# (one per node) plugged into a bridge of the namespace `nmz run` runs in,
# and nmz's ethernet inspector on that bridge, pointed at the run's REST
# endpoint (reachable on 127.0.0.1 because the inspector runs in the same
# namespace as `nmz run`). Everything created is removed on exit; what a
# killed run left is removed at the start of the next run of the same slot
# (nmz run holds the slot exclusively, so those names are nobody else's).
#   netns_up N PORTS    nodes 10.99.S.1 .. 10.99.S.N in namespaces $NODE_NS[i]
#   in_node I CMD...    runs CMD in node I's namespace
set -u
SLOT=$((NMZ_NFQ_NUMBER - 4200))
BRIDGE="nmzbr$SLOT"
NODE_NS=()
NODE_IP=()
BACKGROUND=()
INSPECTOR=

# Every process of a node's namespace, whoever started it (a daemon that
# forked, a command whose wrapper was killed).
kill_node_processes() {  # NAMESPACE
  local pids
  pids=$(ip netns pids "$1" 2>/dev/null)
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  return 0
}

netns_down() {
  for p in "${BACKGROUND[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${BACKGROUND[@]}"; do wait "$p" 2>/dev/null; done
  if [ -n "$INSPECTOR" ]; then kill -TERM "$INSPECTOR" 2>/dev/null; wait "$INSPECTOR" 2>/dev/null; fi
  for n in "${NODE_NS[@]}"; do kill_node_processes "$n"; ip netns del "$n" 2>/dev/null; done
  ip link del "$BRIDGE" 2>/dev/null
  return 0
}

netns_up() {  # N TCP_PORTS
  trap netns_down EXIT
  trap 'exit 143' TERM INT
  ip link add "$BRIDGE" type bridge || return 1
  ip link set "$BRIDGE" up
  for i in $(seq 0 $(($1 - 1))); do
    kill_node_processes "${NMZ_NETNS}n$i"
    ip netns del "${NMZ_NETNS}n$i" 2>/dev/null
  done
  for i in $(seq 0 $(($1 - 1))); do
    NODE_NS+=("${NMZ_NETNS}n$i")
    NODE_IP+=("10.99.$SLOT.$((i + 1))")
    ip netns add "${NODE_NS[$i]}" || return 1
    ip netns exec "${NODE_NS[$i]}" ip link set lo up
    ip link add "nmz${SLOT}v$i" type veth peer name eth0 netns "${NODE_NS[$i]}"
    ip link set "nmz${SLOT}v$i" master "$BRIDGE" up
    ip netns exec "${NODE_NS[$i]}" ip addr add "${NODE_IP[$i]}/24" dev eth0
    ip netns exec "${NODE_NS[$i]}" ip link set eth0 up
  done
  if [ -n "${NMZ_DISABLE:-}" ]; then return 0; fi
  "${NMZ_BIN:-nmz}" inspectors ethernet -nfq-number "$NMZ_NFQ_NUMBER" -rule-bridge "$BRIDGE" -rule-tcp-ports "$2" \
    -orchestrator-url "$NMZ_REST_URL" -entity-id _namazu_ethernet_inspector > "$NMZ_WORKING_DIR/inspector.log" 2>&1 &
  INSPECTOR=$!
  for _ in $(seq 400); do
    grep -q "inspecting NFQUEUE $NMZ_NFQ_NUMBER" "$NMZ_WORKING_DIR/inspector.log" && return 0
    kill -0 "$INSPECTOR" 2>/dev/null || break
    sleep 0.05
  done
  echo "the ethernet inspector did not start:" >&2
  cat "$NMZ_WORKING_DIR/inspector.log" >&2
  return 1
}

in_node() { local i=$1; shift; ip netns exec "${NODE_NS[$i]}" "$@"; }

# wait_for_line FILE TEXT SECONDS
wait_for_line() {
  local deadline=$(($(date +%s%N) + $3 * 1000000000))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.02
  done
}
