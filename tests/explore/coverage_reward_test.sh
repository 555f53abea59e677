#!/usr/bin/env bash
# Coverage as the explore policy's reward, end to end: a small C target
# (tests/explore/covping.c, a ping server and its client, each in a network
# namespace of its own) built with gcc --coverage; `nmz run` with
# `recordCoverage = true` reads what each run covered (gcov through gcovr)
# into RUN/coverage-points.json and result.json; the explore policy learns
# it. The signature is the same in every run, so only coverage can be new:
# run 0 is new, run 1 covers the same code (nothing new), run 2 also asks
# the server for STAT (a branch no earlier run covered). The learned state
# must credit each run's acting arm with exactly that reward (1, 0, 1).
set -euo pipefail
for tool in gcc gcovr; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool is not installed (scripts/setup-deps.sh installs it)"; exit 77; }
done
. "$(dirname "$0")/test_namespace.sh" nmzcovreward

mkdir "$TMP/build" "$TMP/materials"
cp "$NMZ_SOURCE_ROOT/tests/explore/covping.c" "$TMP/build/"
(cd "$TMP/build" && gcc --coverage -O0 -o "$TMP/build/covping" "$TMP/build/covping.c") || fail "cannot build covping with --coverage"
cp "$NMZ_SOURCE_ROOT/examples/leaserace/materials/netns.sh" "$TMP/materials/"
echo "$TMP/build/covping" > "$TMP/materials/program"
cat > "$TMP/materials/run.sh" <<'EOF_RUN'
#!/bin/bash
. "$NMZ_MATERIALS_DIR/netns.sh"
W="$NMZ_WORKING_DIR"
PROG=$(cat "$NMZ_MATERIALS_DIR/program")
netns_up 2 7100 server client || exit 2
# gcov writes each process's .gcda under the run's coverage directory.
export GCOV_PREFIX="$W/coverage"
in_node 0 timeout 60 "$PROG" server "${NODE_IP[0]}" 7100 & SERVER=$!
BACKGROUND+=("$SERVER")
listening=
for _ in $(seq 1500); do in_node 0 ss -Hlnt "sport = :7100" | grep -q . && { listening=1; break; }; sleep 0.02; done
[ -n "$listening" ] || { echo "the server did not listen within 30 s" >&2; exit 2; }
extra=
[ "$NMZ_RUN_ID" = 00000002 ] && extra=stat
in_node 1 timeout 60 "$PROG" client "${NODE_IP[0]}" 7100 3 $extra > "$W/client.out" || exit 2
wait "$SERVER" || exit 2
BACKGROUND=()
EOF_RUN
printf '#!/bin/sh\necho same\n' > "$TMP/materials/signature.sh"
chmod +x "$TMP/materials/"*.sh
# One fault a plan, a short delay (the code the runs cover does not depend
# on it) on the first packet of its node, so that every plan's fault acts.
cat > "$TMP/config.toml" <<'EOF_CONFIG'
run = "run.sh"
signature = "signature.sh"
signatureTrace = false
recordCoverage = true
explorePolicy = "explore"
restPort = 0
[explorePolicyParam]
faults = ["slow-node"]
maxFaults = 1
assumedNodes = 2
delayMin = "20ms"
delayMax = "40ms"
startMax = "0s"
EOF_CONFIG
in_ns "$NMZ_BIN" init "$TMP/config.toml" "$TMP/materials" "$TMP/storage" > /dev/null
for i in 0 1 2 3; do
  in_ns "$NMZ_BIN" run "$TMP/storage" > "$TMP/run$i.log" 2>&1 || { cat "$TMP/run$i.log"; fail "run $i exited with $?"; }
done
python3 - "$TMP/storage" <<'PY' || fail "the learned rewards do not follow the runs' coverage"
import json, os, sys
root = sys.argv[1]

def fnv1a64(text):
    h = 0xcbf29ce484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h

runs = ["%08x" % i for i in range(4)]
covered, rewards, expected_arms = set(), [], {}
for i, run in enumerate(runs):
    result = json.load(open(os.path.join(root, run, "result.json")))
    assert result["status"] == "passed", (run, result["status"], result.get("reason"))
    summary = result.get("coverage")
    assert summary and summary.get("tool") == "gcov" and summary["covered_lines"] > 0, (run, summary)
    points = json.load(open(os.path.join(root, run, "coverage-points.json")))
    assert points["coverage_pattern"] == summary["coverage_pattern"], run
    assert any(p.endswith("covping.c:%d" % n) for p in points["lines"] for n in range(1, 200)), points["lines"][:5]
    digests = {fnv1a64(p) for p in points["lines"] + points["branches"]}
    plan = result["plan"]
    assert len(plan["arms"]) == 1 and plan["applied"][0] > 0, plan
    if i < 3:  # the state the 4th run started from has learned runs 0 to 2
        new = not digests <= covered
        covered |= digests
        reward = 1.0 if (new or i == 0) else 0.0  # run 0: its signature is new too
        rewards.append(reward)
        pulls, total = expected_arms.get(plan["arms"][0], (0, 0))
        expected_arms[plan["arms"][0]] = (pulls + 1, total + reward)
    print(run, plan["words"], "covered", summary["covered_lines"], "lines", summary["covered_branches"], "branches")
assert rewards == [1.0, 0.0, 1.0], rewards
state = json.load(open(os.path.join(root, "explore-state.json")))
assert state["learned_runs"] == runs[:3], state["learned_runs"]
assert set(state["covered"]) == covered, "the state's covered points differ from the runs' union"
arms = {name: (a["pulls"], a["reward"]) for name, a in state["arms"].items()}
assert arms == expected_arms, (arms, expected_arms)
print("rewards by run:", rewards, "arms:", arms)
PY
# The same target analysed afterwards: STAT made run 2's pattern distinct.
"$NMZ_BIN" tools analyze "$TMP/storage" | tee "$TMP/analyze.out"
grep -q "distinct execution patterns: 2" "$TMP/analyze.out" || fail "nmz tools analyze saw other patterns"
echo PASS
