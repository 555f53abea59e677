#!/usr/bin/env bash
# The rule selectors nmz installs, each checked both ways (the selected
# traffic becomes events, other traffic does not):
#   -rule-uid     packets of sockets owned by a user (nobody's client)
#   -rule-cgroup  packets of a process tree's cgroup v2
#   -rule-bridge  packets bridged between two other namespaces
source "$(dirname "$0")/lib.sh"
write_config dumb.toml 'explorePolicy = "dumb"'
bg python3 "$TRAFFIC" tcp-echo-server 127.0.0.1 6108
wait_port 6108
chmod 755 "$TMP"
client=(/usr/bin/python3 "$TRAFFIC" tcp-check 127.0.0.1 6108 20000 --timeout 10)
check() {  # plain | nobody | cgroup
  case $1 in
    plain) ns "${client[@]}" ;;
    nobody) ns "${AS_NOBODY[@]}" "${client[@]}" ;;
    # Joined before entering the namespace: `ip netns exec` hides /sys/fs/cgroup.
    cgroup) sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$root$group" ip netns exec "$NS" "${client[@]}" ;;
  esac >/dev/null || fail "$1 client failed"
}

# Sets EVENTS (not printed: in a $(...) subshell a failure would leave nmz
# running, out of the cleanup's reach).
events_for() {  # QUEUE "selector flags" CLIENT-KIND: events seen for one client run
  local queue=$1 flags=$2
  # shellcheck disable=SC2086
  start_nmz "$queue" dumb.toml $flags
  check "$3"
  stop_nmz TERM
  EVENTS=$(nmz_count events)
}

events_for 33 "-rule-uid 65534" nobody; uid_selected=$EVENTS
events_for 33 "-rule-uid 65534" plain; uid_other=$EVENTS
echo "uid: $uid_selected events for nobody's client, $uid_other for root's"
[ "$uid_selected" -gt 0 ] && [ "$uid_other" -eq 0 ] || fail "-rule-uid selected the wrong traffic"

root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
[ -n "$root" ] || { echo "SKIP: no cgroup2"; exit 77; }
group="/nmz-eth-$$"
mkdir "$root$group"; CGROUPS+=("$root$group")
events_for 34 "-rule-cgroup $group" cgroup; cg_selected=$EVENTS
events_for 34 "-rule-cgroup $group" plain; cg_other=$EVENTS
echo "cgroup: $cg_selected events for the client in $group, $cg_other for one outside"
[ "$cg_selected" -gt 0 ] && [ "$cg_other" -eq 0 ] || fail "-rule-cgroup selected the wrong traffic"

# Two namespaces joined by a bridge in this test's namespace.
add_ns l; left=$NEW_NS
add_ns r; right=$NEW_NS
ns ip link add br0 type bridge
ns ip link set br0 up
for side in left right; do
  peer=${!side}
  ns ip link add "v-$side" type veth peer name eth0 netns "$peer"
  ns ip link set "v-$side" master br0 up
done
ip netns exec "$left" ip addr add 10.77.0.1/24 dev eth0
ip netns exec "$right" ip addr add 10.77.0.2/24 dev eth0
ip netns exec "$left" ip link set eth0 up
ip netns exec "$right" ip link set eth0 up
ip netns exec "$right" python3 "$TRAFFIC" tcp-echo-server 10.77.0.2 6109 & PIDS+=($!)
for _ in $(seq 100); do ip netns exec "$right" ss -Hlnt "sport = :6109" | grep -q . && break; sleep 0.05; done
start_nmz 35 dumb.toml -rule-bridge br0 -rule-tcp-ports 6109
ip netns exec "$left" python3 "$TRAFFIC" tcp-check 10.77.0.2 6109 50000 --timeout 10 || fail "bridged TCP broken"
check plain  # traffic of the bridge's own namespace is not selected
stop_nmz TERM
bridged=$(nmz_count events)
echo "bridge: $bridged events for TCP bridged between two namespaces"
[ "$bridged" -gt 0 ] || fail "-rule-bridge selected nothing"
nmz_rules_present 35 && fail "bridge rules left"
echo PASS
