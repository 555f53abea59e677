#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Run signatures end to end: real `nmz init`, `nmz run` and `nmz summary`
over an experiment whose run.sh drives a REST inspector (rest-probe, two
entities at once) and whose `signature` script prints an outcome. What the
runs do is set from files in the materials, so the expected signatures,
their failure rates and the growth curve are known; the summary's text,
--json and HTML must say the same."""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nmz_helpers import check, nmz, write  # noqa: E402

RUN_SH = r"""#!/bin/sh
set -e
M="$NMZ_MATERIALS_DIR"
probe() {
  "$NMZ_BIN" inspectors rest-probe -orchestrator-url "$NMZ_REST_URL" -entity-id "$1" -class FilesystemEvent \
      -events "$(cat "$M/events")" > "$NMZ_WORKING_DIR/$1.out" 2>&1
}
# Two entities at once: how their events interleave differs from run to run.
probe alpha & a=$!
probe beta
wait $a
"""
VALIDATE_SH = """#!/bin/sh
exit "$(cat "$NMZ_MATERIALS_DIR/validate_rc")"
"""
SIGNATURE_SH = """#!/bin/sh
echo "outcome=$(cat "$NMZ_MATERIALS_DIR/outcome")"
echo "  "
exit "$(cat "$NMZ_MATERIALS_DIR/signature_rc" 2>/dev/null || echo 0)"
"""
CONFIG = """run = "run.sh"
validate = "validate.sh"
signature = "signature.sh"
explorePolicy = "dumb"
restPort = 0
"""


def result(storage, index):
    with open(os.path.join(storage, "%08x" % index, "result.json")) as f:
        return json.load(f)


def runs(storage, count, events, outcome, validate_rc):
    m = os.path.join(storage, "materials")
    write(os.path.join(m, "events"), "%d\n" % events)
    write(os.path.join(m, "outcome"), outcome + "\n")
    write(os.path.join(m, "validate_rc"), "%d\n" % validate_rc)
    p = nmz("run", "-n", str(count), storage)
    check(p.returncode == (1 if validate_rc else 0), "nmz run -n %d: %d\n%s" % (count, p.returncode, p.stderr))


def main():
    top = tempfile.mkdtemp(prefix="nmz-signatures-")
    try:
        materials = os.path.join(top, "materials")
        os.mkdir(materials)
        for name, text in [("run.sh", RUN_SH), ("validate.sh", VALIDATE_SH), ("signature.sh", SIGNATURE_SH)]:
            write(os.path.join(materials, name), text, 0o755)
        write(os.path.join(top, "config.toml"), CONFIG)
        storage = os.path.join(top, "storage")
        p = nmz("init", os.path.join(top, "config.toml"), materials, storage)
        check(p.returncode == 0, p.stderr)

        runs(storage, 3, 3, "A", 0)  # runs 0-2: signature A3
        runs(storage, 2, 3, "B", 1)  # runs 3-4: B3, both failed
        runs(storage, 1, 5, "A", 0)  # run 5: A5, the trace differs
        runs(storage, 2, 3, "A", 0)  # runs 6-7: A3 again

        r = [result(storage, i) for i in range(8)]
        for x in r:
            check(re.fullmatch(r"[0-9a-f]{16}", x["signature"]) is not None, x)
            check(x["signature_exit_code"] == 0, x)
        a3 = r[0]["signature"]
        check(all(x["signature"] == a3 for x in (r[1], r[2], r[6], r[7])),
              "runs that behaved the same got different signatures: %s" % [x["signature_text"] for x in r])
        check(r[3]["signature"] == r[4]["signature"] != a3, "outcome B: %s" % [r[3], r[0]])
        check(r[5]["signature"] not in (a3, r[3]["signature"]), "5 events instead of 3: %s" % r[5])
        text = r[0]["signature_text"]
        check(text.startswith("script: outcome=A; ") and "recv alpha: probe-0 probe-1 probe-2" in text and
              "recv beta: probe-0 probe-1 probe-2" in text, text)
        check("probe-4" in r[5]["signature_text"], r[5]["signature_text"])
        check(os.path.exists(os.path.join(storage, "00000000", "signature.out")), "signature.out not kept")

        p = nmz("summary", storage)
        check(p.returncode == 0, p.stderr)
        out = p.stdout
        check("signatures:       3 distinct in 8 passed or failed runs\n" in out, out)
        check(re.search(r"  %s     5 runs     0 failed    0\.0%% \[95%%   0\.0%%,  43\.4%%\]  first 00000000  script: outcome=A;"
                        % a3, out), out)
        check(re.search(r"  %s     2 runs     2 failed  100\.0%% \[95%%  34\.2%%, 100\.0%%\]  first 00000003  script: outcome=B;"
                        % r[3]["signature"], out), out)
        growth = re.findall(r"^ +(\d+) runs +(\d+)  (#*)$", out, re.M)
        check([(int(n), int(d)) for n, d, _ in growth] == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, 3), (8, 3)],
              "growth table: %s\n%s" % (growth, out))
        check(len(growth[-1][2]) == 40 and len(growth[0][2]) == 13, "growth bars: %s" % growth)

        data = json.loads(nmz("summary", "--json", "--html", os.path.join(top, "r.html"), storage).stdout)
        check(data["distinct_signatures"] == 3 and data["unsigned_runs"] == 0, data)
        check(data["signature_growth"] == [[1, 1], [2, 1], [3, 1], [4, 2], [5, 2], [6, 3], [7, 3], [8, 3]],
              data["signature_growth"])
        rows = {s["signature"]: s for s in data["signatures"]}
        check([s["signature"] for s in data["signatures"]][0] == a3, data["signatures"])
        b = rows[r[3]["signature"]]
        check(b["runs"] == 2 and b["failed"] == 2 and b["failure_rate"] == 1.0 and b["first_run"] == "00000003", b)
        check(abs(b["failure_rate_interval95"][0] - 0.342) < 0.001 and b["failure_rate_interval95"][1] == 1.0, b)
        check(rows[a3]["signature_text"] == text and rows[a3]["runs"] == 5, rows[a3])
        check([x["new_signature"] for x in data["per_run"]] == [True, False, False, True, False, True, False, False],
              data["per_run"])
        check(data["per_run"][5]["signature"] == r[5]["signature"], data["per_run"][5])
        with open(os.path.join(top, "r.html")) as f:
            page = f.read()
        check("Distinct signatures" in page and page.count("<svg") == 4 and a3 in page and "outcome=B" in page,
              "html report")

        # A failing signature script shows in the signature; the outcome stands.
        write(os.path.join(storage, "materials", "signature_rc"), "3\n")
        runs(storage, 1, 3, "A", 0)
        x = result(storage, 8)
        check(x["status"] == "passed" and x["signature_exit_code"] == 3, x)
        check(x["signature_text"].startswith("script: signature script failed (exit status 3); recv alpha:"), x)
        os.unlink(os.path.join(storage, "materials", "signature_rc"))

        # signatureTrace = false: the script alone decides.
        with open(os.path.join(storage, "config.toml"), "a") as f:
            f.write("signatureTrace = false\n")
        runs(storage, 1, 5, "A", 0)
        runs(storage, 1, 3, "A", 0)
        check(result(storage, 9)["signature_text"] == "script: outcome=A", result(storage, 9))
        check(result(storage, 9)["signature"] == result(storage, 10)["signature"], "signatureTrace = false")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
