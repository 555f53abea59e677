#!/bin/bash
# One run of a 3-node ZooKeeper 3.8 ensemble (Debian's zookeeper), each node
# in a network namespace of its own (netns.sh), then:
#   1. until every JVM is up and electing (up1, at most ZK_START_SECONDS),
#      then until one node leads and the others follow it on one epoch
#      (formed1, at most ZK_FORM_SECONDS from up1)
#   2. 10 acknowledged writes through any node
#   3. the leader killed (SIGKILL), 10 writes the other two must take
#   4. the old leader started again on its data, until it is up (up2) and
#      the ensemble formed again (formed2), 10 more writes
#   5. every node's view of all znodes (after sync), every node's state
#   6. every JVM stopped with SIGTERM, how each exited
# validate.sh judges. What nmz intercepts (ZK_INSPECTOR):
#   java      (default) the Java inspector in every JVM, rules ZK_RULES
#             (default materials/rules/election.btm), through JAVA_TOOL_OPTIONS
#   ethernet  the quorum and election traffic (TCP 2888, 3888) on the bridge
#   none      nothing: the baseline (as does NMZ_DISABLE=1)
. "$NMZ_MATERIALS_DIR/netns.sh"
W="$NMZ_WORKING_DIR"
M="$NMZ_MATERIALS_DIR"
NMZ="${NMZ_BIN:-nmz}"
CLIENT=(/usr/bin/python3 "$M/zk_client.py")
# A JVM's start (class loading, the agent's rules) is the machine's load
# and nmz's startup overhead, not the election: it has a deadline of its
# own, and the formation deadline counts from the moment every node is up.
START_SECONDS=${ZK_START_SECONDS:-120}
FORM_SECONDS=${ZK_FORM_SECONDS:-40}
INSPECT=${ZK_INSPECTOR:-java}
[ -n "${NMZ_DISABLE:-}" ] && INSPECT=none
case "$INSPECT" in
  none) NMZ_DISABLE=1 netns_up 3 2888,3888 || exit 2 ;;
  java)
    NMZ_DISABLE=1 netns_up 3 2888,3888 || exit 2
    # The JVMs reach the run's PB endpoint (restAddress 0.0.0.0, port
    # NMZ_GA_TCP_PORT) through the bridge, which gets an address for it.
    PB_ADDRESS="10.99.$SLOT.254"
    ip addr add "$PB_ADDRESS/24" dev "$BRIDGE" || exit 2
    [ -n "${NMZ_GA_TCP_PORT:-}" ] || { echo "no PB endpoint: set pbPort in the config" >&2; exit 2; } ;;
  ethernet) netns_up 3 2888,3888 || exit 2 ;;
  *) echo "ZK_INSPECTOR must be java, ethernet or none, not \"$INSPECT\"" >&2; exit 2 ;;
esac
echo "$INSPECT" > "$W/inspector"
# The nodes' namespaces by name and inode: the names are the run slot's, which
# the next run on this machine reuses, and a deleted namespace's inode number
# goes to the next namespace anyone creates; both together are this run's.
for n in "${NODE_NS[@]}"; do echo "$n $(stat -L -c %i "/run/netns/$n")"; done > "$W/netns_inodes"
servers=
for i in 0 1 2; do servers="${servers}server.$((i + 1))=${NODE_IP[$i]}:2888:3888"$'\n'; done
HOSTS=("${NODE_IP[0]}:2181" "${NODE_IP[1]}:2181" "${NODE_IP[2]}:2181")
NODES=("${HOSTS[0]}@$W/zk1/data" "${HOSTS[1]}@$W/zk2/data" "${HOSTS[2]}@$W/zk3/data")
JVM=()
LOG_AT=()

start_node() {  # I
  local i=$1 id=$(($1 + 1)) agent=
  mkdir -p "$W/zk$id/data"
  echo "$id" > "$W/zk$id/data/myid"
  cat > "$W/zk$id/zoo.cfg" <<EOF
tickTime=500
initLimit=20
syncLimit=10
dataDir=$W/zk$id/data
clientPort=2181
clientPortAddress=${NODE_IP[$i]}
admin.enableServer=false
4lw.commands.whitelist=srvr,mntr
$servers
EOF
  if [ "$INSPECT" = java ]; then
    agent=$("$NMZ" inspectors java -print-agent-options -rules "${ZK_RULES:-$M/rules/election.btm}" \
      -entity-id "zk$id" -pb-address "$PB_ADDRESS") || { echo "nmz inspectors java -print-agent-options failed" >&2; return 1; }
  fi
  touch "$W/zk$id.log"
  LOG_AT[$i]="$W/zk$id.log@$(stat -c %s "$W/zk$id.log")"
  echo "start $(date +%s%N)" >> "$W/zk$id.events"
  # ip netns exec execs java: $! is the JVM.
  JAVA_TOOL_OPTIONS="$agent" ip netns exec "${NODE_NS[$i]}" java -Xms32m -Xmx192m -XX:+UseSerialGC \
    -XX:TieredStopAtLevel=1 -Dzookeeper.preAllocSize=1024 -Dzookeeper.forceSync=no \
    -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
    -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$W/zk$id/zoo.cfg" >> "$W/zk$id.log" 2>&1 &
  JVM[$i]=$!
  BACKGROUND+=("${JVM[$i]}")
}

# stop_node I SIGNAL: the JVM's exit status (143 for SIGTERM, 137 for
# SIGKILL) into zkN.events; one still running 10 s after SIGTERM is killed.
stop_node() {
  local i=$1 id=$(($1 + 1)) pid=${JVM[$1]} rc
  kill "-$2" "$pid" 2>/dev/null
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "hung $2" >> "$W/zk$id.events"
    kill -KILL "$pid"
  fi
  { wait "$pid"; } 2>/dev/null; rc=$?
  echo "exit $rc" >> "$W/zk$id.events"
  local rest=()
  for p in "${BACKGROUND[@]}"; do [ "$p" != "$pid" ] && rest+=("$p"); done
  BACKGROUND=("${rest[@]}")
}

record_states() {  # FILE
  in_node 0 "${CLIENT[@]}" state "${NODES[@]}" > "$1"
}

# wait_formed N NODE_INDEX...: until the given (just started) nodes are up,
# into upN_ms, then until the ensemble formed, into formedN_ms ("never" when
# a deadline passed first).
wait_formed() {
  local n=$1 logs=() i
  shift
  for i in "$@"; do logs+=("${LOG_AT[$i]}"); done
  echo never > "$W/formed${n}_ms"
  in_node 0 "${CLIENT[@]}" wait-up "$START_SECONDS" "${logs[@]}" > "$W/up${n}_ms" || { echo never > "$W/up${n}_ms"; return; }
  in_node 0 "${CLIENT[@]}" wait-formed "$FORM_SECONDS" "${NODES[@]}" > "$W/formed${n}_ms" || echo never > "$W/formed${n}_ms"
}

for i in 0 1 2; do start_node "$i" || exit 2; done
wait_formed 1 0 1 2
record_states "$W/state1.jsonl"
: > "$W/acked"
if [ "$(cat "$W/formed1_ms")" != never ]; then
  in_node 0 "${CLIENT[@]}" write 30 "$W/acked" 0 9 "${HOSTS[@]}"
  leader=$(grep -n '"mode": "leader"' "$W/state1.jsonl" | cut -d: -f1)
  leader=$((leader - 1))
  echo "$((leader + 1))" > "$W/killed"
  stop_node "$leader" KILL
  in_node 0 "${CLIENT[@]}" write 30 "$W/acked" 10 19 "${HOSTS[@]}"
  start_node "$leader" || exit 2
  wait_formed 2 "$leader"
  in_node 0 "${CLIENT[@]}" write 30 "$W/acked" 20 29 "${HOSTS[@]}"
  for i in 0 1 2; do
    in_node 0 "${CLIENT[@]}" read 10 "$W/read$((i + 1))" "${HOSTS[$i]}" 2> "$W/read$((i + 1)).err"
  done
fi
record_states "$W/state2.jsonl"
for i in 0 1 2; do stop_node "$i" TERM; done
exit 0
