#!/bin/sh
# Fails when the server applied a write made under an expired lease (a
# lost update). Leaves two files for benchmarks: RUN/outcome (who wrote
# first and last, and whether an update was lost) and RUN/signature (the
# outcome and how the clients' writes interleaved). Not the order of the
# 40 writes itself: where in the middle one client wrote twice in a row
# varies from run to run by scheduling alone (plain runs, with no
# inspector, gave 19 distinct orders in 20), and a signature that differs
# for runs that behaved the same counts noise as behaviour.
exec python3 - "$NMZ_WORKING_DIR" <<'PY'
import json, os, sys
w = sys.argv[1]
report = json.load(open(os.path.join(w, "server.json")))
writers = [v.split("-")[0] for v in report["history"]]
lost = report["stale_applied"]
outcome = "first=%s last=%s lost=%d" % (writers[0] if writers else "none", writers[-1] if writers else "none", min(lost, 1))
open(os.path.join(w, "outcome"), "w").write(outcome + "\n")
# The longest streak of one client's writes: alternating turns (a client
# rarely wins the lease twice in a row), bursts, or one client shut out
# for much of the run.
streak, longest = 0, 0
for i, writer in enumerate(writers):
    streak = streak + 1 if i and writer == writers[i - 1] else 1
    longest = max(longest, streak)
shape = "alternating" if longest <= 3 else "bursts" if longest < 10 else "one-sided"
open(os.path.join(w, "signature"), "w").write("%s shape=%s\n" % (outcome, shape))
print(outcome)
if lost:
    sys.exit("%d write(s) of c1 applied after its lease expired: %s" % (lost, report["history"]))
PY
