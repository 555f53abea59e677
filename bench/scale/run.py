#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/scale: the same 40-run experiment (tests/scale's small one: each run
is the orchestrator plus two shell scripts) run locally with --parallel 1
(the baseline), --parallel 2, and through a throw-away single-node Slurm
cluster as 2 array tasks (needs root and the Slurm packages). Prints wall
time, runs/s, ratios to the baseline, the per-run overhead Slurm adds, and
the runs/hour 100 such nodes would give at the measured per-run cost.
usage: run.py BUILD_DIR [RUNS]"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "scale"))
build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
os.environ["NMZ_BIN"] = os.path.join(build, "core", "nmz")
os.environ.setdefault("NMZ_BUILD_ROOT", build)
from scale_experiment import NMZ, check, make_storage, nmz  # noqa: E402
from slurm_cluster import SlurmCluster, available  # noqa: E402

RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 40


def timed(label, action, top):
    storage = make_storage(top, label)
    started = time.monotonic()
    action(storage)
    wall = time.monotonic() - started
    p = nmz("summary", "--json", storage)
    runs = json.loads(p.stdout)["runs"]
    check(runs == RUNS, "%s: %d runs, expected %d" % (label, runs, RUNS))
    return wall


def local(parallel):
    def action(storage):
        subprocess.run([NMZ, "run", "-n", str(RUNS), "--parallel", str(parallel), storage],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return action


def slurm(cluster):
    def action(storage):
        p = nmz("submit", "slurm", "-n", str(RUNS), "--array-size", "2", storage)
        check(p.returncode == 0, p.stderr)
        summary = os.path.join(storage, "summary.json")
        deadline = time.monotonic() + 600
        while not os.path.exists(summary):
            check(time.monotonic() < deadline, "Slurm did not finish: %s" % cluster.squeue())
            time.sleep(0.1)
    return action


def main():
    with tempfile.TemporaryDirectory(prefix="nmz-bench-scale-") as top:
        os.chmod(top, 0o755)
        results = [("local --parallel 1", timed("p1", local(1), top)),
                   ("local --parallel 2", timed("p2", local(2), top))]
        if available():
            with SlurmCluster(top) as cluster:
                results.append(("slurm 2 array tasks", timed("on-slurm", slurm(cluster), top)))
        else:
            print("slurm: skipped (needs root and slurmctld, slurmd, munge)")
    base = results[0][1]
    print("%-22s %9s %8s %10s" % ("", "wall s", "runs/s", "vs base"))
    for label, wall in results:
        print("%-22s %9.2f %8.2f %9.2fx" % (label, wall, RUNS / wall, base / wall))
    per_run = base / RUNS
    print("per-run cost, --parallel 1: %.3f s" % per_run)
    if len(results) == 3:
        # Two tasks at once: each run's share of the wall time, against the same with --parallel 2.
        overhead = (results[2][1] - results[1][1]) / RUNS * 2
        print("slurm overhead per run vs --parallel 2: %+.3f s (submission, scheduling, task start)" % overhead)
    slurm_extra = (results[2][1] - results[1][1]) / RUNS * 2 if len(results) == 3 else 0.0
    print("on paper, 100 nodes x 2 runs at once, per-run cost + Slurm overhead:")
    for cost, what in [(per_run, "this toy run"), (10.0, "a 10 s run"), (60.0, "a 60 s run")]:
        print("  %-13s %12.0f runs/hour" % (what, 100 * 2 * 3600 / (cost + max(slurm_extra, 0.0))))


if __name__ == "__main__":
    main()
