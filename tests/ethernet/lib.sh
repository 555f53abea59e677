# Shared by the ethernet end-to-end tests: a private network namespace per
# test, removed with everything the test started even when it fails.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
: "${NMZ_BIN:?}" "${NMZ_SOURCE_ROOT:?}"

# Runs a command as the unprivileged user (uid 65534, no capabilities but
# CAP_DAC_READ_SEARCH): that one lets it reach a build tree under a 0700
# directory (a CI checkout in mktemp -d) and grants nothing else, in
# particular not the CAP_NET_ADMIN the tests expect it to lack.
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+dac_read_search
           --ambient-caps=+dac_read_search --bounding-set=-all,+dac_read_search)
TRAFFIC="$NMZ_SOURCE_ROOT/tests/ethernet/traffic.py"
NS="nmzeth-$(basename "$0" .sh | tr -c 'a-z0-9\n' '-' | cut -c1-12)-$$"
TMP=$(mktemp -d)
# The restore records of the nmz this test starts (and kills) are its own:
# in the machine-wide /run/nmz, any other nmz starting meanwhile would apply
# them and remove this test's rules under it.
export NMZ_RESTORE_DIR="$TMP/restore"
PIDS=()
NMZ_PID=
NMZ_LOG=
EXTRA_NS=()    # more namespaces a test creates (add_ns)
CGROUPS=()     # cgroup directories a test creates

cleanup() {
  local status=$?
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ $status -ne 0 ] && [ -n "$NMZ_LOG" ] && [ -f "$NMZ_LOG" ]; then
    echo "--- last nmz log ($NMZ_LOG)"; tail -n 40 "$NMZ_LOG"
  fi
  for n in "${EXTRA_NS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  for c in "${CGROUPS[@]}"; do rmdir "$c" 2>/dev/null || true; done
  rm -rf "$TMP"
  exit $status
}
trap cleanup EXIT
# meson's timeout sends SIGTERM: exit through the cleanup above.
trap 'exit 143' TERM INT

add_ns() {  # SUFFIX: sets NEW_NS to a new namespace, removed at exit (not
  # printed: the cleanup list would be lost in a $(...) subshell)
  NEW_NS="$NS-$1"
  ip netns add "$NEW_NS"
  EXTRA_NS+=("$NEW_NS")
  ip netns exec "$NEW_NS" ip link set lo up
}

fail() { echo "FAIL: $*"; exit 1; }
ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS"
ns ip link set lo up

# bg CMD...: starts CMD in the namespace, remembered for cleanup.
bg() { ip netns exec "$NS" "$@" & PIDS+=($!); }

# write_config NAME "toml lines": a config file in $TMP.
write_config() { printf '%s\n' "$2" > "$TMP/$1"; }

# write_hold_config NAME: a policy that holds every packet for 60 s, so
# that what is held is released only when nmz stops.
write_hold_config() {
  write_config "$1" 'explorePolicy = "netfault"
[explorePolicyParam]
minInterval = "60s"
maxInterval = "60s"
faults = []'
}

queue_bound() { ns grep -qE "^ *$1 " /proc/net/netfilter/nfnetlink_queue 2>/dev/null; }

# queue_held QUEUE: packets the kernel keeps on QUEUE until nmz gives its
# verdict (queue_total in nfnetlink_queue), whether nmz has read them yet or
# not.
queue_held() { ns awk -v q="$1" '$1 == q { print $3 }' /proc/net/netfilter/nfnetlink_queue; }

# queue_unread QUEUE: bytes waiting in the netlink socket bound to QUEUE
# (Rmem of the socket whose port id nfnetlink_queue names): packets the
# kernel passed on that nmz has not read.
queue_unread() {
  local port
  port=$(ns awk -v q="$1" '$1 == q { print $2 }' /proc/net/netfilter/nfnetlink_queue)
  ns awk -v p="$port" '$2 == 12 && $3 == p { print $5 }' /proc/net/netlink
}

# wait_held QUEUE N: until N packets are held on QUEUE and nmz has read them
# all (20 s at most): what a test asserts while packets are held waits for
# this, not for a sleep.
wait_held() {
  for _ in $(seq 400); do
    [ "$(queue_held "$1")" -ge "$2" ] && [ "$(queue_unread "$1")" -eq 0 ] && return 0
    sleep 0.05
  done
  fail "expected $2 packet(s) held on queue $1 and read by nmz within 20 s: $(queue_held "$1") held, $(queue_unread "$1") bytes unread"
}

# wait_lines FILE N: until FILE has N lines (20 s at most); the caller then
# checks the count itself.
wait_lines() {
  for _ in $(seq 400); do
    [ "$(wc -l < "$1")" -ge "$2" ] && return 0
    sleep 0.05
  done
}

# start_nmz QUEUE CONFIG [flags...]: runs the inspector on QUEUE in the
# namespace and waits until its queue and rules are in place.
start_nmz() {
  local queue=$1 config=$2; shift 2
  NMZ_LOG="$TMP/nmz-$queue-$RANDOM.log"
  ip netns exec "$NS" "$NMZ_BIN" inspectors ethernet -autopilot "$TMP/$config" -nfq-number "$queue" "$@" >"$NMZ_LOG" 2>&1 &
  NMZ_PID=$!
  PIDS+=($NMZ_PID)
  for _ in $(seq 200); do
    if grep -q "inspecting NFQUEUE $queue" "$NMZ_LOG"; then return 0; fi
    kill -0 "$NMZ_PID" 2>/dev/null || { cat "$NMZ_LOG"; fail "nmz exited during start"; }
    sleep 0.05
  done
  cat "$NMZ_LOG"; fail "nmz did not start inspecting queue $queue"
}

# stop_nmz [SIGNAL]: stops it and checks a clean exit for TERM/INT.
stop_nmz() {
  local signal=${1:-TERM} code=0
  kill -"$signal" "$NMZ_PID"
  wait "$NMZ_PID" || code=$?
  if [ "$signal" != KILL ] && [ $code -ne 0 ]; then cat "$NMZ_LOG"; fail "nmz exited with $code after SIG$signal"; fi
}

# The inspector's summary line: "released R held packet(s); E events, ..."
nmz_count() {  # field name: events|accepted|dropped|duplicated|retransmissions
  grep -oE "[0-9]+ $1" "$NMZ_LOG" | tail -n1 | cut -d' ' -f1
}

nmz_rules_present() { ns iptables -w -S | grep -q "NMZ-Q$1-" || ns ip6tables -w -S | grep -q "NMZ-Q$1-"; }

wait_port() {  # PORT [tcp|udp]
  for _ in $(seq 100); do
    ns ss -Hln${2:-t} "sport = :$1" | grep -q . && return 0
    sleep 0.05
  done
  fail "nothing listens on port $1"
}
