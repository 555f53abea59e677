#!/usr/bin/env bash
# examples/zookeeper end to end: a 3-node ZooKeeper 3.8 ensemble in network
# namespaces, its leader killed and restarted, through examples/zookeeper/
# reproduce.sh (nmz init + nmz run -n in a namespace of its own):
#   1. 2 runs with the java inspector (the example's default) and 1 with
#      the ethernet inspector pass: one leader and epoch, no acknowledged
#      write lost, every JVM stopped by SIGTERM;
#   2. the traces hold what each inspector intercepted (JavaFunctionEvents
#      of the election rules; packets);
#   3. nothing is left behind: no process naming the storage, no node
#      namespace of the runs, no mount under the storage;
#   4. validate.sh fails a run whose read lost an acknowledged write, whose
#      ensemble never formed again, or whose JVMs never came up (it can fail).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
: "${NMZ_BIN:?}" "${NMZ_SOURCE_ROOT:?}" "${NMZ_BUILD_ROOT:?}"
[ -f /usr/share/java/zookeeper.jar ] || { echo "SKIP: zookeeper is not installed (scripts/setup-deps.sh)"; exit 77; }
/usr/bin/python3 -c "import kazoo" 2>/dev/null || { echo "SKIP: python3-kazoo is not installed (scripts/setup-deps.sh)"; exit 77; }
ip link add nmzprobe$$ type bridge 2>/dev/null && ip link del nmzprobe$$ || { echo "SKIP: cannot create a bridge"; exit 77; }
EXAMPLE="$NMZ_SOURCE_ROOT/examples/zookeeper"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 143' TERM INT
fail() { echo "FAIL: $*"; exit 1; }

check_runs() {  # STORAGE COUNT EVENT_CLASS
  /usr/bin/python3 - "$@" <<'PY'
import json, os, re, sys
storage, count, event_class = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = sorted(d for d in os.listdir(storage) if len(d) == 8)
if len(runs) != count:
    sys.exit("%d runs in %s, not %d" % (len(runs), storage, count))
for run in runs:
    d = os.path.join(storage, run)
    result = json.load(open(os.path.join(d, "result.json")))
    if result["status"] != "passed":
        sys.exit("run %s %s: %s" % (run, result["status"], result.get("reason", "")))
    outcome = open(os.path.join(d, "outcome")).read()
    if not re.match(r"first=zk[123] after=zk[123] epoch=\d+ rounds=\d+ elections=\d+$", outcome.strip()):
        sys.exit("run %s: outcome %r" % (run, outcome))
    trace = open(os.path.join(d, "trace.jsonl")).read()
    if event_class not in trace:
        sys.exit("run %s: no %s in its trace" % (run, event_class))
    print(run, outcome.strip())
PY
}

no_leftovers() {  # STORAGE
  local storage=$1
  /usr/bin/python3 - "$storage" <<'PY' || fail "processes left naming $storage"
import os, sys
me = str(os.getpid())
left = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        cmdline = open("/proc/%s/cmdline" % pid, "rb").read().decode(errors="replace")
    except OSError:
        continue
    if pid != me and sys.argv[1] in cmdline:
        left.append("%s: %s" % (pid, cmdline.replace("\0", " ")[:200]))
if left:
    sys.exit("\n".join(left))
PY
  # The nodes' namespaces by name and inode (run.sh records both): the names
  # are the run slot's, which another run on this machine may hold now, and
  # an inode number is reused by the next namespace anyone creates.
  local inode name
  for name in $(ls /run/netns 2>/dev/null); do
    inode=$(stat -L -c %i "/run/netns/$name" 2>/dev/null) || continue
    ! cat "$storage"/*/netns_inodes | grep -qxF "$name $inode" || fail "namespace $name of a run left"
  done
  ! grep -q -- "$storage" /proc/mounts || fail "mounts left under $storage"
}

if [ -f "$NMZ_BUILD_ROOT/plugins/java/nmz-java.so" ]; then
  "$EXAMPLE/reproduce.sh" -n 2 "$TMP/java" > "$TMP/java.out" 2>&1 || { cat "$TMP/java.out"; fail "java runs"; }
  check_runs "$TMP/java" 2 JavaFunctionEvent || { cat "$TMP/java.out"; fail "java runs"; }
  no_leftovers "$TMP/java"
else
  echo "(the java plugin is not built here: only the ethernet run)"
fi
ZK_INSPECTOR=ethernet "$EXAMPLE/reproduce.sh" -n 1 "$TMP/ethernet" > "$TMP/ethernet.out" 2>&1 ||
  { cat "$TMP/ethernet.out"; fail "ethernet run"; }
check_runs "$TMP/ethernet" 1 PacketEvent || { cat "$TMP/ethernet.out"; fail "ethernet run"; }
no_leftovers "$TMP/ethernet"

# The validation can fail: a read that lost an acknowledged write, an
# ensemble that never formed again, JVMs that never came up.
run=$(ls -d "$TMP"/ethernet/0000000*)
for broken in lost never notup; do
  cp -r "$run" "$TMP/$broken"
done
sed -i '/^k12 /d' "$TMP/lost/read2"
echo never > "$TMP/never/formed2_ms"
echo never > "$TMP/notup/up1_ms"
for broken in lost never notup; do
  if NMZ_WORKING_DIR="$TMP/$broken" sh "$EXAMPLE/materials/validate.sh" > "$TMP/$broken.out" 2>&1; then
    fail "validate.sh passed a run that $broken: $(cat "$TMP/$broken.out")"
  fi
done
grep -q "zk2 lost acknowledged writes \['k12'\]" "$TMP/lost.out" || fail "lost: $(cat "$TMP/lost.out")"
grep -q "after the leader restarted" "$TMP/never.out" || fail "never: $(cat "$TMP/never.out")"
grep -q "did not all come up" "$TMP/notup.out" || fail "notup: $(cat "$TMP/notup.out")"
echo "PASS"
