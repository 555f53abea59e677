# Sourced by run.sh scripts of the explore experiments: N network namespaces
# (one per node) plugged into a bridge of the namespace `nmz run` runs in,
# and nmz's ethernet inspector on that bridge, pointed at the run's REST
# endpoint (reachable on 127.0.0.1 because the inspector runs in the same
# namespace as `nmz run`). Everything created is removed on exit; what a
# killed run left is removed at the start of the next run of the same slot
# (nmz run holds the slot exclusively, so those names are nobody else's).
#   netns_up N PORTS [NAME...]  nodes 10.99.S.1 .. 10.99.S.N in namespaces
#                       $NODE_NS[i], named NAME (default n0 .. nN-1) for the
#                       inspector (-node NAME=ADDR), so that packet endpoints,
#                       run signatures and the explore policy's roles name the
#                       same node alike in every run, whatever its slot S
#   in_node I CMD...    runs CMD in node I's namespace
set -u
SLOT=$((NMZ_NFQ_NUMBER - 4200))
BRIDGE="nmzbr$SLOT"
NODE_NS=()
NODE_IP=()
BACKGROUND=()
INSPECTOR=

# Every process of a node's namespace, whoever started it (a daemon that
# forked, a command whose wrapper was killed), gone before this returns: a
# namespace that still holds a process lives on after `ip netns del`.
kill_node_processes() {  # NAMESPACE
  local pids
  for _ in $(seq 100); do
    pids=$(ip netns pids "$1" 2>/dev/null)
    [ -z "$pids" ] && return 0
    kill -KILL $pids 2>/dev/null
    sleep 0.05
  done
  echo "processes $pids of namespace $1 did not die" >&2
  return 1
}

# A node's namespace and its veth pair. The veth is deleted explicitly
# because the kernel frees a deleted namespace's devices asynchronously: the
# host end `nmzSvI` may linger for a while after `ip netns del`, so the next
# run of the slot could not create it, its node had no address, and its
# server failed with "bind: cannot assign requested address".
node_down() {  # NAMESPACE VETH
  kill_node_processes "$1"
  ip link del "$2" 2>/dev/null
  ip netns del "$1" 2>/dev/null
  return 0
}

netns_down() {
  for p in "${BACKGROUND[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${BACKGROUND[@]}"; do wait "$p" 2>/dev/null; done
  if [ -n "$INSPECTOR" ]; then kill -TERM "$INSPECTOR" 2>/dev/null; wait "$INSPECTOR" 2>/dev/null; fi
  for i in "${!NODE_NS[@]}"; do node_down "${NODE_NS[$i]}" "nmz${SLOT}v$i"; done
  ip link del "$BRIDGE" 2>/dev/null
  return 0
}

# Runs a set-up step; a failure says which, and fails the set-up.
setup_step() {
  "$@" && return 0
  echo "netns set-up failed: $*" >&2
  return 1
}

netns_up() {  # N TCP_PORTS [NAME...]
  local n=$1 ports=$2 names=()
  shift 2
  names=("$@")
  trap netns_down EXIT
  trap 'exit 143' TERM INT
  for i in $(seq 0 $((n - 1))); do node_down "${NMZ_NETNS}n$i" "nmz${SLOT}v$i"; done
  ip link del "$BRIDGE" 2>/dev/null
  setup_step ip link add "$BRIDGE" type bridge || return 1
  setup_step ip link set "$BRIDGE" up || return 1
  local node_names=()
  for i in $(seq 0 $((n - 1))); do
    NODE_NS+=("${NMZ_NETNS}n$i")
    NODE_IP+=("10.99.$SLOT.$((i + 1))")
    node_names+=(-node "${names[$i]:-n$i}=${NODE_IP[$i]}")
    setup_step ip netns add "${NODE_NS[$i]}" || return 1
    setup_step ip netns exec "${NODE_NS[$i]}" ip link set lo up || return 1
    setup_step ip link add "nmz${SLOT}v$i" type veth peer name eth0 netns "${NODE_NS[$i]}" || return 1
    setup_step ip link set "nmz${SLOT}v$i" master "$BRIDGE" up || return 1
    setup_step ip netns exec "${NODE_NS[$i]}" ip addr add "${NODE_IP[$i]}/24" dev eth0 || return 1
    setup_step ip netns exec "${NODE_NS[$i]}" ip link set eth0 up || return 1
  done
  if [ -n "${NMZ_DISABLE:-}" ]; then return 0; fi
  "${NMZ_BIN:-nmz}" inspectors ethernet -nfq-number "$NMZ_NFQ_NUMBER" -rule-bridge "$BRIDGE" -rule-tcp-ports "$ports" \
    "${node_names[@]}" \
    -orchestrator-url "$NMZ_REST_URL" -entity-id _namazu_ethernet_inspector > "$NMZ_WORKING_DIR/inspector.log" 2>&1 &
  INSPECTOR=$!
  for _ in $(seq 1200); do
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
