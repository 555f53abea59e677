#!/bin/bash
# One run of a 3-node etcd 3.4 cluster (Debian's etcd-server), each member
# in a network namespace of its own, peer and client traffic through nmz's
# ethernet inspector. Once the cluster answers, a client makes 20
# acknowledged writes spread over the members; then every member reports
# who it thinks leads and in which term (validate.sh judges).
. "$NMZ_MATERIALS_DIR/netns.sh"
W="$NMZ_WORKING_DIR"
export ETCDCTL_API=3
netns_up 3 2379,2380 e0 e1 e2 || exit 2
# The members' data (64 MB of preallocated WAL each) is no use to validate.sh.
trap 'netns_down; rm -rf "$W"/e[0-9].data' EXIT
cluster=
for i in 0 1 2; do cluster="$cluster${cluster:+,}e$i=http://${NODE_IP[$i]}:2380"; done
endpoints() { local e=; for i in 0 1 2; do e="$e${e:+,}http://${NODE_IP[$i]}:2379"; done; echo "$e"; }
started=$(date +%s%N)
for i in 0 1 2; do
  in_node "$i" etcd --name "e$i" --data-dir "$W/e$i.data" \
    --listen-peer-urls "http://${NODE_IP[$i]}:2380" --initial-advertise-peer-urls "http://${NODE_IP[$i]}:2380" \
    --listen-client-urls "http://${NODE_IP[$i]}:2379" --advertise-client-urls "http://${NODE_IP[$i]}:2379" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "nmz$SLOT" \
    > "$W/e$i.log" 2>&1 &
  BACKGROUND+=($!)
done
# Formed: a write is acknowledged (a leader exists and a quorum follows it).
formed=
deadline=$((started + 30000000000))
while [ "$(date +%s%N)" -lt "$deadline" ]; do
  if in_node 0 etcdctl --endpoints "$(endpoints)" --command-timeout 1s put formed yes > /dev/null 2>&1; then
    formed=$(( ($(date +%s%N) - started) / 1000000 )); break
  fi
  sleep 0.1
done
echo "${formed:-never}" > "$W/formed_ms"
[ -n "$formed" ] || { echo "the cluster did not form within 30 s" >&2; exit 0; }
: > "$W/acked"
for n in $(seq 0 19); do
  i=$((n % 3))
  if in_node "$i" etcdctl --endpoints "http://${NODE_IP[$i]}:2379" --command-timeout 2s put "k$n" "v$n" > /dev/null 2>&1; then
    echo "k$n v$n" >> "$W/acked"
  fi
done
# Linearizable reads of every key, from each member that answers.
for i in 0 1 2; do
  in_node "$i" etcdctl --endpoints "http://${NODE_IP[$i]}:2379" --command-timeout 3s get --prefix k --consistency l \
    > "$W/read$i" 2> "$W/read$i.err" || rm -f "$W/read$i"
  in_node "$i" etcdctl --endpoints "http://${NODE_IP[$i]}:2379" --command-timeout 2s endpoint status -w json \
    > "$W/status$i.json" 2>/dev/null || rm -f "$W/status$i.json"
done
exit 0
