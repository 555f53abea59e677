#!/bin/sh
# Fails the run when a JVM did not come up (begin electing) within
# ZK_START_SECONDS of its start, when the ensemble did not agree on one
# leader and epoch within ZK_FORM_SECONDS of every node being up (at the
# start, or after the leader's restart), when
# a node's read misses an acknowledged write, or when a JVM did not stop on
# SIGTERM. Leaves RUN/outcome (who led first and after the restart, the
# final epoch, election rounds and elections), RUN/problems (why it failed,
# empty when it passed) and RUN/signature for benchmarks.
exec /usr/bin/python3 - "$NMZ_WORKING_DIR" <<'PY'
import json, os, re, sys
w = sys.argv[1]

def load(name):
    try:
        with open(os.path.join(w, name)) as f:
            return f.read()
    except OSError:
        return None

def states(name):
    return [json.loads(l) for l in (load(name) or "").splitlines() if l.strip()]

def leader_of(st):
    leaders = ["zk%d" % (i + 1) for i, s in enumerate(st) if s["mode"] == "leader"]
    return ",".join(leaders) or "none"

problems = []
up1 = (load("up1_ms") or "never").strip()
up2 = (load("up2_ms") or "never").strip()
formed1 = (load("formed1_ms") or "never").strip()
formed2 = (load("formed2_ms") or "never").strip()
if up1 == "never":
    problems.append("the JVMs did not all come up (begin electing) in time at the start")
elif formed1 == "never":
    problems.append("no single leader with every node following on one epoch at the start")
elif up2 == "never":
    problems.append("the restarted leader's JVM did not come up (begin electing) in time")
elif formed2 == "never":
    problems.append("no single leader with every node following on one epoch after the leader restarted")
acked = [l.split() for l in (load("acked") or "").splitlines() if l.strip()]
if formed1 != "never":
    if len(acked) < 30:
        problems.append("only %d of 30 writes acknowledged" % len(acked))
    for i in range(1, 4):
        text = load("read%d" % i)
        if text is None:
            problems.append("zk%d could not be read: %s" % (i, (load("read%d.err" % i) or "").strip()[-200:]))
            continue
        got = dict(l.split() for l in text.splitlines() if l.strip())
        lost = [k for k, v in acked if got.get(k) != v]
        if lost:
            problems.append("zk%d lost acknowledged writes %s" % (i, lost))
# Elections: how many times a node went looking for a leader (3 at the
# start, 3 more after the restart when all goes smoothly). Rounds: the
# highest logical clock (FastLeaderElection's round) a node announced; each
# election a node starts raises its own by one (0xffff... is a notification
# of no round at all).
rounds = elections = 0
for i in range(1, 4):
    log = load("zk%d.log" % i) or ""
    elections += log.count("New election. My id")
    for m in re.finditer(r"n\.round:0x([0-9a-f]+)", log):
        if int(m.group(1), 16) < 1 << 63:
            rounds = max(rounds, int(m.group(1), 16))
    events = (load("zk%d.events" % i) or "").splitlines()
    if any(e.startswith("hung") for e in events):
        problems.append("zk%d did not stop within 10 s of SIGTERM" % i)
    exits = [e.split()[1] for e in events if e.startswith("exit")]
    if exits and exits[-1] != "143":
        problems.append("zk%d exited with %s on SIGTERM, not 143" % (i, exits[-1]))
first, last = states("state1.jsonl"), states("state2.jsonl")
epoch = max((s.get("epoch", 0) for s in last), default=0)
outcome = "first=%s after=%s epoch=%d rounds=%d elections=%d" % (leader_of(first), leader_of(last), epoch, rounds,
                                                                 elections)
with open(os.path.join(w, "outcome"), "w") as out:
    out.write(outcome + "\n")
with open(os.path.join(w, "signature"), "w") as out:
    out.write("%s lost=%d\n" % (outcome, 1 if problems else 0))
print(outcome, "up in", up1, "ms, formed in", formed1, "ms more; again up in", up2, "ms, formed in", formed2, "ms more;",
      len(acked), "acknowledged writes")
with open(os.path.join(w, "problems"), "w") as out:
    out.write("; ".join(problems) + "\n")
if problems:
    sys.exit("; ".join(problems))
PY
