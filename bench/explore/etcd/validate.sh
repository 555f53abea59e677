#!/bin/sh
# Fails when an acknowledged write is missing from a linearizable read, or
# two members lead in one term. Leaves RUN/outcome (who leads, in which
# term) and RUN/signature (every member's view of leader and term, and how
# many writes were acknowledged) for the benchmark, and RUN/formed_ms.
exec python3 - "$NMZ_WORKING_DIR" <<'PY'
import json, os, sys
w = sys.argv[1]
def load(name):
    try:
        return open(os.path.join(w, name)).read()
    except OSError:
        return None
problems = []
formed = (load("formed_ms") or "never").strip()
leaders = {}   # term -> set of member ids leading in it
view = {}      # member name -> (leader id, term)
names = {}
for i in range(3):
    text = load("status%d.json" % i)
    if not text:
        continue
    for s in json.loads(text):
        st = s["Status"]
        member = st["header"]["member_id"]
        names[member] = "e%d" % i
        # A member that lost its leader (partitioned, or in an election)
        # reports none: "leader" is absent and "errors" says "no leader".
        leader = st.get("leader", 0)
        view["e%d" % i] = (leader, st["raftTerm"])
        if leader == member:
            leaders.setdefault(st["raftTerm"], set()).add(member)
for term, who in leaders.items():
    if len(who) > 1:
        problems.append("two leaders in term %d: %s" % (term, sorted(names.get(m, m) for m in who)))
acked = [l.split() for l in (load("acked") or "").splitlines() if l.strip()]
for i in range(3):
    text = load("read%d" % i)
    if text is None:
        continue
    lines = text.splitlines()
    got = dict(zip(lines[0::2], lines[1::2]))
    lost = [k for k, v in acked if got.get(k) != v]
    if lost:
        problems.append("e%d's linearizable read lost acknowledged writes %s" % (i, lost))
# The outcome: the leader most members see, and the highest term seen.
seen = [names.get(l, "?") for l, _ in view.values() if l]
leader = max(set(seen), key=seen.count) if seen else "none"
term = max((t for _, t in view.values()), default=0)
outcome = "leader=%s term=%d" % (leader, term)
with open(os.path.join(w, "outcome"), "w") as out:
    out.write(outcome + "\n")
views = " ".join("%s:%s/%d" % (m, names.get(l, "?") if l else "none", t) for m, (l, t) in sorted(view.items()))
with open(os.path.join(w, "signature"), "w") as out:
    out.write("%s acked=%d lost=%d\n" % (views, len(acked), 1 if problems else 0))
print(outcome, "formed in", formed, "ms;", len(acked), "acknowledged writes")
if problems:
    sys.exit("; ".join(problems))
PY
