#!/usr/bin/env bash
# Three processes of one cluster on 127.0.0.1 (ports 7101-7103), talking
# TCP through a real NFQUEUE, with no -node flag: the ethernet inspector
# names every packet endpoint after the process that owns its socket, so
#   1. the trace of each run shows exactly three nodes, 127.0.0.1:7101,
#      :7102 and :7103 (a client's ephemeral port belongs to its process);
#   2. two runs, whose pids and ephemeral ports differ, give the same names;
#   3. the explore policy (fixed seed, slow-node plans only) learns those
#      three nodes and aims its slow-node at exactly one of them, which it
#      slows.
# With -name-by-process=false the same traffic is one address, as before.
. "$(dirname "$0")/lib.sh"
STORAGE="$TMP/storage"
mkdir "$TMP/materials"
cp "$NMZ_SOURCE_ROOT/tests/ethernet/loopback_cluster.py" "$TMP/materials/"
cat > "$TMP/materials/run.sh" <<'EOF_RUN'
#!/bin/bash
# The inspector runs in this namespace, where the cluster runs too.
W="$NMZ_WORKING_DIR"
"$NMZ_BIN" inspectors ethernet -nfq-number "$NMZ_NFQ_NUMBER" -rule-tcp-ports 7101:7103 $INSPECTOR_FLAGS \
  -orchestrator-url "$NMZ_REST_URL" -entity-id _namazu_ethernet_inspector > "$W/inspector.log" 2>&1 &
INSPECTOR=$!
trap 'kill -TERM $INSPECTOR 2>/dev/null; wait $INSPECTOR' EXIT
for _ in $(seq 600); do
  grep -q "inspecting NFQUEUE" "$W/inspector.log" && break
  kill -0 $INSPECTOR 2>/dev/null || { cat "$W/inspector.log" >&2; exit 2; }
  sleep 0.05
done
pids=()
for i in 0 1 2; do
  timeout 60 python3 "$NMZ_MATERIALS_DIR/loopback_cluster.py" $i 3 7101 5 "$W/node$i.json" "$W/go" & pids+=($!)
done
for port in 7101 7102 7103; do
  for _ in $(seq 1500); do ss -Hlnt "sport = :$port" | grep -q . && break; sleep 0.02; done
done
touch "$W/go"
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
exit $rc
EOF_RUN
chmod +x "$TMP/materials/run.sh"
cat > "$TMP/config.toml" <<'EOF_CONFIG'
run = "run.sh"
explorePolicy = "explore"
seed = "loopnames"
restPort = 0
[explorePolicyParam]
faults = ["slow-node"]
maxFaults = 1
assumedNodes = 3
delayMin = "20ms"
delayMax = "40ms"
startMax = "0s"
windowMin = "5s"
windowMax = "6s"
EOF_CONFIG
export NMZ_BIN
ns "$NMZ_BIN" init "$TMP/config.toml" "$TMP/materials" "$STORAGE" > /dev/null
for i in 0 1; do
  ns "$NMZ_BIN" run "$STORAGE" > "$TMP/run$i.log" 2>&1 || { cat "$TMP/run$i.log"; fail "run $i exited with $?"; }
done

python3 - "$STORAGE" <<'PY' || fail "the runs' node names"
import json, os, sys
root = sys.argv[1]
expected = {"127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103"}
reports, names = [], []
for run in ("00000000", "00000001"):
    d = os.path.join(root, run)
    result = json.load(open(os.path.join(d, "result.json")))
    assert result["status"] == "passed", (run, result["status"], result.get("reason"))
    seen = set()
    for line in open(os.path.join(d, "trace.jsonl")):
        event = json.loads(line).get("event") or {}
        if event.get("class") == "PacketEvent":
            seen |= {event["option"]["src_entity"], event["option"]["dst_entity"]}
    assert seen == expected, (run, sorted(seen))
    names.append(seen)
    reports.append([json.load(open(os.path.join(d, "node%d.json" % i))) for i in range(3)])
    print(run, "nodes:", sorted(seen), "pids:", [r["pid"] for r in reports[-1]],
          "source ports:", [r["source_ports"] for r in reports[-1]])
assert names[0] == names[1]
assert all(a["pid"] != b["pid"] for a, b in zip(*reports)), "the pids did not change between runs"
assert [r["source_ports"] for r in reports[0]] != [r["source_ports"] for r in reports[1]], "the ephemeral ports did not change"

state = json.load(open(os.path.join(root, "explore-state.json")))
assert set(state["catalogue"]["names"]["node"]) == expected, state["catalogue"]
plan = json.load(open(os.path.join(root, "00000001", "result.json")))["plan"]
assert len(plan["faults"]) == 1 and plan["faults"][0]["kind"] == "slow-node", plan
victim = plan["roles"]["node"][plan["faults"][0]["role"]]
assert victim in expected, plan
assert [n for n in sorted(expected) if n in plan["words"]] == [victim], plan["words"]
assert plan["applied"][0] > 0, plan
print("run 00000001's plan:", plan["words"], "applied to", plan["applied"][0], "packet(s)")
PY

# Namazu's names on request: one address, ports as they come.
printf 'run = "run.sh"\nexplorePolicy = "dumb"\nrestPort = 0\n' > "$TMP/plain.toml"
ns "$NMZ_BIN" init "$TMP/plain.toml" "$TMP/materials" "$TMP/plain" > /dev/null
ns env INSPECTOR_FLAGS=-name-by-process=false "$NMZ_BIN" run "$TMP/plain" > "$TMP/plain.log" 2>&1 ||
  { cat "$TMP/plain.log"; fail "the run without process names exited with $?"; }
python3 - "$TMP/plain/00000000/trace.jsonl" <<'PY' || fail "-name-by-process=false"
import json, sys
seen = set()
for line in open(sys.argv[1]):
    event = json.loads(line).get("event") or {}
    if event.get("class") == "PacketEvent":
        seen |= {event["option"]["src_entity"], event["option"]["dst_entity"]}
assert seen and all(s.startswith("entity-127.0.0.1:") for s in seen), sorted(seen)
print("-name-by-process=false:", len(seen), "entity-127.0.0.1:PORT endpoints")
PY
echo PASS
