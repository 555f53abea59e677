#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Does the explore policy find more behaviour than random delays?

Two multi-process targets whose outcome depends on message order, each in
network namespaces this script creates (inside one namespace of its own,
where nmz run, its REST endpoint, the bridge and the inspector live):

  leaserace  examples/leaserace: a lease server and two clients with a
             lost-update bug (plus its fixed twin, which must never fail)
  etcd       a 3-node etcd 3.4 cluster (Debian's etcd-server): who leads,
             in which term; 20 acknowledged writes must survive
             (linearizable reads), no two leaders in one term

Policies, interleaved run by run so that the machine's load hits all alike:
  plain    no inspector at all (NMZ_DISABLE=1)
  random   Namazu's experiment settings: every packet held 30-100 ms
  explore  no parameter

Per target and policy: distinct signatures (result.json's "signature" when
nmz records one, else the target's own RUN/signature written by its
validate script), the largest outcome's share, runs whose outcome differs
from plain's majority outcome, failures, runs to the first failure, time
per run; for etcd, runs where the cluster formed late (more than 2x plain's
mean formation time, or never) although the plan had no partition, and of
those the ones no fault explains (no window of the plan opened before the
cluster formed: the set-up, not the plan, was slow). Then a shrink of
one real failure of explore (the one whose plan has the most faults).

  bench/run.sh explore                     (via bench/run.sh)
  run.py BUILD_DIR [--runs 20] [--targets leaserace,etcd] [--no-shrink] [--keep DIR]

--keep DIR keeps every storage (runs, plans, explore-state.json) in DIR
instead of deleting them, to look at what each plan did.
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
LEASERACE = os.path.join(SOURCE, "examples", "leaserace", "materials")
POLICIES = ["plain", "random", "explore"]


def config(policy):
    # The signature is the target's own outcome abstract (signature.sh prints
    # what validate.sh wrote), not the trace's: plain runs have no trace, and
    # explore's learner and the table then count the same thing, behaviour.
    lines = ['run = "run.sh"', 'validate = "validate.sh"', 'signature = "signature.sh"', "signatureTrace = false",
             "restPort = 0"]
    if policy == "random":
        lines += ['explorePolicy = "random"', "[explorePolicyParam]", 'minInterval = "30ms"', 'maxInterval = "100ms"']
    elif policy == "explore":
        lines += ['explorePolicy = "explore"']
    else:
        lines += ['explorePolicy = "dumb"']
    return "\n".join(lines) + "\n"


class Bench:
    def __init__(self, args):
        self.args = args
        self.nmz = os.path.join(os.path.abspath(args.build_dir), "core", "nmz")
        self.ns = "nmzbench-%d" % os.getpid()
        if args.keep:
            os.makedirs(args.keep)
            self.tmp = os.path.abspath(args.keep)
        else:
            self.tmp = tempfile.mkdtemp(prefix="nmz-bench-explore-")
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        self.in_ns(["ip", "link", "set", "lo", "up"], check=True)

    def in_ns(self, argv, **kwargs):
        return subprocess.run(["ip", "netns", "exec", self.ns] + argv, **kwargs)

    def close(self):
        # Runs remove their per-process namespaces (and the next run of a
        # slot what a killed one left): only this script's own is deleted.
        subprocess.run(["ip", "netns", "del", self.ns], stderr=subprocess.DEVNULL)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def materials(self, target):
        path = os.path.join(self.tmp, target + "-materials")
        os.makedirs(path)
        if target == "etcd":
            for name in ("run.sh", "validate.sh"):
                shutil.copy(os.path.join(HERE, "etcd", name), path)
            for name in ("netns.sh", "signature.sh"):
                shutil.copy(os.path.join(LEASERACE, name), path)
        else:
            for name in os.listdir(LEASERACE):
                shutil.copy(os.path.join(LEASERACE, name), path)
        return path

    def storage(self, target, name, policy, materials):
        cfg = os.path.join(self.tmp, "%s-%s.toml" % (target, name))
        with open(cfg, "w") as out:
            out.write(config(policy))
        path = os.path.join(self.tmp, "%s-%s" % (target, name))
        self.in_ns([self.nmz, "init", cfg, materials, path], check=True, stdout=subprocess.DEVNULL)
        return path

    def run_once(self, storage, policy, env_extra):
        env = dict(os.environ, **env_extra)
        if policy == "plain":
            env["NMZ_DISABLE"] = "1"
        started = time.monotonic()
        self.in_ns([self.nmz, "run", storage], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - started

    def series(self, target, variants, runs):
        """variants: label -> (policy, env). Returns label -> list of run rows."""
        materials = self.materials(target)
        storages = {label: self.storage(target, label.replace("/", "-"), policy, materials)
                    for label, (policy, _) in variants.items()}
        rows = {label: [] for label in variants}
        labels = list(variants)
        for i in range(runs):
            order = labels[i % len(labels):] + labels[:i % len(labels)]
            for label in order:
                policy, env = variants[label]
                seconds = self.run_once(storages[label], policy, env)
                rows[label].append(seconds)
                sys.stderr.write("\r%s: round %d/%d %s        " % (target, i + 1, runs, label))
                sys.stderr.flush()
        sys.stderr.write("\n")
        return {label: read_runs(storages[label], rows[label]) for label in variants}, storages


def first_window_ms(plan):
    """When the plan's first window opened, from the run's first event: a
    window anchored at its target opened `start` after the target's first
    event (plan.json's anchored_ns); one whose target never showed never
    opened."""
    faults = plan.get("faults", [])
    anchored = plan.get("anchored_ns") or [0] * len(faults)
    opened = [(a + f.get("start_ns", 0)) / 1e6 for f, a in zip(faults, anchored) if a is not None]
    return min(opened, default=None)


def read_runs(storage, seconds):
    rows = []
    for d, wall in zip(sorted(x for x in os.listdir(storage) if len(x) == 8), seconds):
        run = os.path.join(storage, d)

        def text(name):
            try:
                return open(os.path.join(run, name)).read().strip()
            except OSError:
                return None
        try:
            result = json.load(open(os.path.join(run, "result.json")))
        except (OSError, ValueError):
            result = {"status": "broken", "reason": "no result.json"}
        plan = result.get("plan") or {}
        rows.append({
            "id": d, "status": result.get("status"), "reason": result.get("reason", ""), "seconds": wall,
            "signature": result.get("signature") or text("signature") or "?",
            "outcome": text("outcome") or "?", "formed_ms": text("formed_ms"),
            "words": plan.get("words", ""), "partition": any(f.get("kind") == "partition" for f in plan.get("faults", [])),
            "faults": len(plan.get("faults", [])),
            "first_window_ms": first_window_ms(plan),
        })
    return rows


def report(target, results, baseline_label):
    plain = results[baseline_label]
    plain_outcomes = collections.Counter(r["outcome"] for r in plain)
    majority = plain_outcomes.most_common(1)[0][0] if plain_outcomes else "?"
    formed = [int(r["formed_ms"]) for r in plain if (r["formed_ms"] or "").isdigit()]
    plain_formed = sum(formed) / len(formed) if formed else None
    print("\n== %s (plain's majority outcome: %s)" % (target, majority))
    print("%-16s %5s %9s %10s %9s %8s %10s %8s %7s %7s" % ("policy", "runs", "distinct", "top share", "changed", "failed",
                                                             "1st fail", "s/run", "broken", "late"), "unexplained")
    summary = {}
    for label, rows in results.items():
        n = len(rows)
        distinct = len({r["signature"] for r in rows})
        outcomes = collections.Counter(r["outcome"] for r in rows)
        top = outcomes.most_common(1)[0][1] / n if n else 0
        changed = sum(r["outcome"] != majority for r in rows) / n if n else 0
        failed = sum(r["status"] == "failed" for r in rows)
        broken = sum(r["status"] == "broken" for r in rows)
        first = next((i + 1 for i, r in enumerate(rows) if r["status"] == "failed"), None)
        late = 0
        unexplained = 0
        if plain_formed is not None:
            for r in rows:
                ms = r["formed_ms"]
                slow = ms is None or not ms.isdigit() or int(ms) > 2 * plain_formed
                if slow and not r["partition"]:
                    late += 1
                    # random holds every packet: its plan explains any delay.
                    window = r["first_window_ms"]
                    explained = label == "random" or (window is not None and (ms is None or not ms.isdigit() or window < int(ms)))
                    unexplained += 0 if explained else 1
        mean = sum(r["seconds"] for r in rows) / n if n else 0
        print("%-16s %5d %9d %9.0f%% %8.0f%% %8d %10s %8.1f %7d %7s" % (
            label, n, distinct, 100 * top, 100 * changed, failed, first or "-", mean, broken,
            late if plain_formed is not None else "-") + "  %s" % (unexplained if plain_formed is not None else "-"))
        summary[label] = {"distinct": distinct, "changed": changed, "failed": failed, "first": first, "broken": broken,
                          "late": late, "unexplained": unexplained, "mean": mean}
    if plain_formed is not None:
        print("plain formation time: mean %.0f ms (late = formed after %.0f ms, or never, without a partition; "
              "unexplained = late with no fault window open before it formed)"
              % (plain_formed, 2 * plain_formed))
    r, e = summary.get("random"), summary.get("explore")
    if r and e:
        ratio = e["distinct"] / r["distinct"] if r["distinct"] else float("inf")
        # Plain runs have no inspector: one that formed late shows the
        # machine's own spread (the yardstick's), not a run nmz broke.
        invalid = sum(summary[label]["broken"] + summary[label]["unexplained"] for label in summary
                      if label != baseline_label)
        verdicts = [("explore/random distinct signatures %d/%d = %.2fx" % (e["distinct"], r["distinct"], ratio),
                     ratio >= 2, "target >= 2x, short by %.2fx" % (2 - ratio)),
                    ("explore changed plain's majority outcome in %.0f%% of runs" % (100 * e["changed"]),
                     e["changed"] >= 0.4, "target >= 40%%, short by %.0f points" % (100 * (0.4 - e["changed"]))),
                    ("invalid runs under nmz (broken, or formed late with no fault to explain it): %d" % invalid,
                     invalid == 0, "target 0")]
        for text, met, short in verdicts:
            print("%s: %s" % (text, "target met" if met else "NOT met (%s)" % short))
        summary["targets_met"] = all(met for _, met, _ in verdicts)
    return summary


def show_outcomes(results):
    for label, rows in results.items():
        counts = collections.Counter(r["outcome"] for r in rows)
        print("  %-14s outcomes: %s" % (label, ", ".join("%s x%d" % kv for kv in counts.most_common())))
    for r in results.get("explore", [])[:5]:
        print("  explore %s %-7s %s" % (r["id"], r["status"], r["words"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--targets", default="leaserace,etcd")
    parser.add_argument("--no-shrink", action="store_true")
    parser.add_argument("--keep", metavar="DIR", help="keep the storages in DIR (a new directory)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/explore needs root (network namespaces, iptables)")
    targets = args.targets.split(",")
    if "etcd" in targets and shutil.which("etcd") is None:
        sys.exit("bench/explore: etcd is not installed (scripts/setup-deps.sh installs etcd-server and etcd-client)")
    bench = Bench(args)
    try:
        failing = None
        for target in targets:
            variants = {p: (p, {}) for p in POLICIES}
            if target == "leaserace":
                variants["explore/fixed"] = ("explore", {"LEASERACE_MODE": "fixed"})
            results, storages = bench.series(target, variants, args.runs)
            report(target, results, "plain")
            show_outcomes(results)
            if target == "leaserace" and results["explore/fixed"]:
                fixed_failed = sum(r["status"] == "failed" for r in results["explore/fixed"])
                print("fixed twin under explore: %d failures in %d runs (must be 0)" % (fixed_failed, len(results["explore/fixed"])))
            if failing is None:
                # The failure whose plan has the most faults: the most for shrink to remove.
                failed = [r for r in results["explore"] if r["status"] == "failed"]
                if failed:
                    failing = (storages["explore"], max(failed, key=lambda r: r["faults"])["id"])
        if failing and not args.no_shrink:
            print("\n== shrink of explore's largest failing plan: nmz tools shrink -k 2 -max-candidates 10 %s %s" % failing)
            out = bench.in_ns([bench.nmz, "tools", "shrink", "-k", "2", "-max-candidates", "10", failing[0], failing[1]],
                              capture_output=True, text=True)
            lines = out.stdout.splitlines()
            # The original plan, each candidate's verdict, and the result with its before/after size.
            keep = [l for l in lines if l.startswith(("shrinking run", "candidate "))]
            print("\n".join(keep))
            print(out.stdout[out.stdout.find("smallest plan"):] if "smallest plan" in out.stdout else out.stderr)
    finally:
        bench.close()


if __name__ == "__main__":
    main()
