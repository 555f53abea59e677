#!/bin/sh
# Fails when the server applied a write made under an expired lease (a
# lost update). Leaves two files for benchmarks: RUN/outcome (who wrote
# first and last, and whether an update was lost) and RUN/signature (the
# order in which the clients' writes were applied).
exec python3 - "$NMZ_WORKING_DIR" <<'PY'
import json, os, sys
w = sys.argv[1]
report = json.load(open(os.path.join(w, "server.json")))
writers = [v.split("-")[0] for v in report["history"]]
lost = report["stale_applied"]
outcome = "first=%s last=%s lost=%d" % (writers[0] if writers else "none", writers[-1] if writers else "none", min(lost, 1))
open(os.path.join(w, "outcome"), "w").write(outcome + "\n")
open(os.path.join(w, "signature"), "w").write(" ".join(writers) + " lost=%d\n" % min(lost, 1))
print(outcome)
if lost:
    sys.exit("%d write(s) of c1 applied after its lease expired: %s" % (lost, report["history"]))
PY
