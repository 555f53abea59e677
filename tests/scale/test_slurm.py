#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""nmz submit slurm against a real single-node Slurm cluster (munged,
slurmctld, slurmd started here, see slurm_cluster.py): 40 runs in 4 array
tasks on one storage, one task cancelled while its first run is held; the
dependent summary job's summary.json must equal the sum of the shards, the
other three shards' 30 runs must all be there, and the cancelled run marked
(broken or interrupted, never passed). Exits 77 without root or Slurm."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_experiment import check, make_storage, nmz, run_dirs, status, write  # noqa: E402
from slurm_cluster import SlurmCluster, available  # noqa: E402


def wait_for(condition, what, cluster, timeout=400):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for %s; squeue: %s\n%s" %
                                 (what, cluster.squeue(), cluster.log("slurmctld.log")))
        time.sleep(0.2)


def main():
    if not available():
        print("needs root, munged, slurmctld, slurmd, sbatch (scripts/setup-deps.sh)")
        return 77
    with tempfile.TemporaryDirectory(prefix="nmz-slurm-") as top:
        os.chmod(top, 0o755)
        storage = make_storage(top, "storage")
        p = nmz("submit", "slurm", "-n", "40", "--array-size", "4", "--dry-run", storage)
        check(p.returncode == 0 and 'run --shard "$SLURM_ARRAY_TASK_ID/4" -n 40' in p.stdout and
              "#SBATCH --array=0-3" in p.stdout and "summary --json" in p.stdout, p.stdout + p.stderr)
        check(not os.path.exists(os.path.join(storage, "slurm")), "--dry-run wrote the job scripts")
        p = nmz("submit", "slurm", "-n", "40", "--array-size", "0", storage)
        check(p.returncode == 2 and "flag -array-size" in p.stderr, p.stderr)

        killed = "80000002"  # shard 2's first run
        write(os.path.join(storage, "materials", "hold-" + killed), "")
        with SlurmCluster(top) as cluster:
            p = nmz("submit", "slurm", "-n", "40", "--array-size", "4", storage)
            check(p.returncode == 0 and "array job" in p.stdout, p.stdout + p.stderr)
            array_job = p.stdout.split()[2]
            wait_for(lambda: os.path.exists(os.path.join(storage, killed, "started")), "run " + killed, cluster)
            p = subprocess.run(["scancel", array_job + "_2"], capture_output=True, text=True)
            check(p.returncode == 0, "scancel: " + p.stderr)
            summary_path = os.path.join(storage, "summary.json")
            wait_for(lambda: os.path.exists(summary_path), "the summary job", cluster)
            os.unlink(os.path.join(storage, "materials", "hold-" + killed))
            with open(summary_path) as f:
                summary = json.load(f)
        s = status(storage)
        shards = s["shards"]
        for shard in [0, 1, 3]:
            counts = shards["%d/4" % shard]
            check(counts["passed"] + counts["failed"] == 10 and counts["broken"] + counts["interrupted"] == 0,
                  "shard %d: %s" % (shard, counts))
        # validate.sh fails the run ids ending in 3.
        expected_failed = sum(1 for r in range(40) if r % 4 != 2 and ("%08x" % (0x80000000 + r)).endswith("3"))
        check(s["total"]["failed"] == expected_failed, s)
        cancelled = shards["2/4"]
        check(cancelled["passed"] + cancelled["failed"] == 0 and cancelled["broken"] + cancelled["interrupted"] == 1,
              "the cancelled shard: %s" % cancelled)
        check(killed in run_dirs(storage) and len(run_dirs(storage)) == 31, run_dirs(storage))
        for key in ["passed", "failed", "broken"]:
            total = sum(counts[key] for counts in shards.values())
            check(summary[key] == total, "summary.json %s = %s, shards sum to %s" % (key, summary[key], total))
        check(summary["runs"] == 31, summary)
        print(nmz("status", storage).stdout)
        if os.path.exists(os.path.join(storage, killed, "result.json")):
            with open(os.path.join(storage, killed, "result.json")) as f:
                print("cancelled run:", json.load(f).get("reason"))
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
