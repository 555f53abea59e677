#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""nmz run --shard, nmz status and nmz collect end to end: stable shard run
numbers apart from local runs, a shard started again runs only what is
missing, two shards at once on one storage never share an NFQUEUE number,
netns name or REST port, a killed shard's run shows as interrupted, and
collect merges per-node storages (idempotent, refuses conflicts and other
experiments) into a storage nmz summary reads like a local one."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_experiment import CONFIG, NMZ, check, env_of, make_storage, nmz, run_dirs, status, summary, write  # noqa: E402


def wait_for(condition, what, timeout=60):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def test_bad_shard_flags(storage):
    for bad in ["2/2", "1", "a/3", "1/0", "-1/2"]:
        p = nmz("run", "--shard", bad, "-n", "4", storage)
        check(p.returncode == 2 and "flag -shard" in p.stderr, bad + ": " + p.stderr)
    check(run_dirs(storage) == [], "a bad --shard created runs")


def test_two_shards_at_once(storage):
    # The first runs of the four shards only go on once all four are alive.
    write(os.path.join(storage, "materials", "barrier"), "4\n")
    shards = [subprocess.Popen([NMZ, "run", "--shard", "%d/4" % i, "-n", "8", storage],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    outputs = [s.communicate(timeout=240) for s in shards]
    os.unlink(os.path.join(storage, "materials", "barrier"))
    # Run 3 fails validation: shard 3 exits 1, the others pass.
    check([s.returncode for s in shards] == [0, 0, 0, 1], "shard exits %s\n%s" % ([s.returncode for s in shards], outputs))
    ids = ["%08x" % (0x80000000 + r) for r in range(8)]
    check(run_dirs(storage) == ids, run_dirs(storage))
    for r, run_id in enumerate(ids):
        check(env_of(storage, run_id)["NMZ_RUN_ID"] == run_id, run_id)
        with open(os.path.join(storage, run_id, "shard.json")) as f:
            check(f.read().strip() == '{"run":%d,"shard":%d,"shards":4}' % (r, r % 4), run_id)
    met = sorted(os.listdir(os.path.join(storage, "materials", "arrived")))
    check(len(met) >= 4, "fewer than four runs met at the barrier: %s" % met)
    together = [env_of(storage, run_id) for run_id in met[:4]]
    for key in ["NMZ_NFQ_NUMBER", "NMZ_NETNS", "NMZ_REST_PORT"]:
        values = [env[key] for env in together]
        check(len(set(values)) == 4, "runs alive at once share %s: %s" % (key, values))

    s = status(storage)
    for shard in range(3):
        check(s["shards"]["%d/4" % shard] == {"passed": 2, "failed": 0, "broken": 0, "running": 0, "interrupted": 0}, s)
    check(s["shards"]["3/4"] == {"passed": 1, "failed": 1, "broken": 0, "running": 0, "interrupted": 0}, s)
    check(s["total"]["failed"] == 1 and abs(s["failure_rate"] - 1 / 8) < 1e-9, s)
    low, high = s["failure_rate_interval95"]
    check(0 < low < 1 / 8 < high < 1, s)
    text = nmz("status", storage).stdout
    check("0/4" in text and "3/4" in text and "failure rate 12.5%" in text, text)


def test_stable_numbers(storage):
    before = run_dirs(storage)
    p = nmz("run", "--shard", "0/4", "-n", "8", storage)
    check(p.returncode == 0 and "every run exists already" in p.stderr and run_dirs(storage) == before, p.stderr)
    # The same run numbers under another shard count: only the missing ones run.
    p = nmz("run", "--shard", "0/2", "-n", "11", storage)
    check(p.returncode == 0, p.stderr)
    check(run_dirs(storage) == sorted(before + ["80000008", "8000000a"]), run_dirs(storage))
    # Local runs keep counting from 0 beside shard runs.
    p = nmz("run", storage)
    check(p.returncode == 0 and "00000000" in run_dirs(storage), p.stderr)
    p = nmz("run", storage)
    check("00000001" in run_dirs(storage), run_dirs(storage))
    check(status(storage)["shards"]["local"]["passed"] == 2, status(storage))


def test_killed_shard(top):
    storage = make_storage(top, "killed")
    hold = os.path.join(storage, "materials", "hold")
    write(hold, "")
    shard = subprocess.Popen([NMZ, "run", "--shard", "0/1", "-n", "2", storage], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: os.path.exists(os.path.join(storage, "80000000", "started")), "the shard's first run")
        check(status(storage)["total"]["running"] == 1, status(storage))
        # The node dies: the shard first (killed after its run, it could
        # start the next run in between), then the nmz that runs the run,
        # without a word (it has a process group of its own; its parent's
        # death may have killed it already).
        os.killpg(shard.pid, signal.SIGKILL)
        shard.wait(timeout=30)
        for pid in os.listdir("/proc"):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
                if pid.isdigit() and b"-run-number" in argv and storage.encode() in argv:
                    os.kill(int(pid), signal.SIGKILL)
            except OSError:
                continue
    finally:
        if shard.poll() is None:
            os.killpg(shard.pid, signal.SIGKILL)
            shard.wait()
    # The child nmz may outlive its parent for a moment: wait for its lock to go.
    wait_for(lambda: status(storage)["total"]["interrupted"] == 1, "the killed run to show as interrupted")
    os.unlink(hold)
    check(run_dirs(storage) == ["80000000"], run_dirs(storage))
    # Started again, the shard leaves the killed run as it is and runs the rest.
    p = nmz("run", "--shard", "0/1", "-n", "2", storage)
    check(p.returncode == 0 and run_dirs(storage) == ["80000000", "80000001"], p.stderr)
    s = status(storage)["shards"]["0/1"]
    check(s["interrupted"] == 1 and s["passed"] == 1, s)
    return storage


def test_collect(top):
    a = make_storage(top, "node-a")
    b = make_storage(top, "node-b")
    for node, shard in [(a, "0/2"), (b, "1/2")]:
        p = nmz("run", "--shard", shard, "-n", "6", node)
        check(p.returncode in (0, 1), p.stderr)
    p = nmz("run", a)
    check(p.returncode == 0, p.stderr)
    merged = os.path.join(top, "merged")
    p = nmz("collect", merged, a, b)
    check(p.returncode == 0 and "collected 7 runs" in p.stdout, p.stdout + p.stderr)
    check(run_dirs(merged) == sorted(run_dirs(a) + run_dirs(b)), run_dirs(merged))
    for run_id in run_dirs(a):
        for name in ["result.json", "trace.jsonl"]:
            with open(os.path.join(a, run_id, name)) as x, open(os.path.join(merged, run_id, name)) as y:
                check(x.read() == y.read(), run_id + "/" + name + " changed in collect")
    whole, parts = summary(merged), [summary(a), summary(b)]
    for key in ["runs", "passed", "failed", "broken"]:
        check(whole[key] == sum(part[key] for part in parts), "%s: %s vs %s" % (key, whole[key], [p[key] for p in parts]))
    check(whole["failed"] == 1 and whole["runs"] == 7, whole)

    p = nmz("collect", merged, a, b)
    check(p.returncode == 0 and "collected 0 runs" in p.stdout and "7 already there" in p.stdout, p.stdout + p.stderr)
    # Local run 00000000 of node b is not node a's.
    p = nmz("run", b)
    before = run_dirs(merged)
    p = nmz("collect", merged, b)
    check(p.returncode == 1 and "conflicting run 00000000" in p.stderr and "nothing was merged" in p.stderr, p.stderr)
    check(run_dirs(merged) == before, "a refused collect changed the destination")
    other = make_storage(top, "other", config="run = \"run.sh\"\nexplorePolicy = \"dumb\"\nrestPort = 0\nseed = 1\n")
    p = nmz("collect", merged, other)
    check(p.returncode == 1 and "not the same experiment" in p.stderr, p.stderr)
    p = nmz("run", merged)
    check(p.returncode == 0 and "00000001" in run_dirs(merged), "the merged storage takes local runs: " + p.stderr)


def main():
    with tempfile.TemporaryDirectory(prefix="nmz-scale-") as top:
        # A fixed restPort: shards at once must not both take it.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        storage = make_storage(top, "shared", config=CONFIG.replace("restPort = 0", "restPort = %d" % port))
        test_bad_shard_flags(storage)
        test_two_shards_at_once(storage)
        test_stable_numbers(storage)
        test_killed_shard(top)
        test_collect(top)
    print("ok")


if __name__ == "__main__":
    main()
