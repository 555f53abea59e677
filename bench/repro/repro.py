#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""How often does a flaky test fail under each way of running it?

Runs every target N times under several methods, interleaved run by run (so
that the machine's own load hits every method alike), and prints per target
and method: runs, failures, failure rate and its 95% Wilson interval.

  repro.py --runs 50                       the bundled flaky targets, all methods
  repro.py --runs 50 --fixed               ...and their fixed versions (must not fail)
  repro.py --runs 20 --targets ./mytest --methods plain,nmz-mild
  repro.py --demo --runs 30                plain vs nmz on flaky-uaf, one line each

Methods: plain; stress (stress-ng --cpu 2 running alongside); taskset (all
on CPU 0); nmz-POLICY (under `nmz inspectors proc` with configs/POLICY.toml).
A run fails when the command exits non-zero or outlives --timeout.
"""
import argparse
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
BUGGY = ["flaky-order", "flaky-atomicity", "flaky-lost-update", "flaky-deadlock", "flaky-uaf",
         "flaky-missed-wakeup"]
DEMO_POLICY = "demo"
NMZ_POLICIES = sorted(f[:-len(".toml")] for f in os.listdir(os.path.join(HERE, "configs"))
                      if f.endswith(".toml") and f != DEMO_POLICY + ".toml")
DEFAULT_METHODS = ["plain", "stress", "taskset"] + [f"nmz-{p}" for p in NMZ_POLICIES]


def wilson(failures, runs, z=1.96):
    if runs == 0:
        return 0.0, 0.0
    p = failures / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


class Stress:
    """One stress-ng, stopped (SIGSTOP) except during the runs of the stress method."""

    def __init__(self):
        if shutil.which("stress-ng") is None:
            sys.exit("repro.py: stress-ng is not installed (scripts/setup-deps.sh installs it)")
        self.proc = subprocess.Popen(["stress-ng", "--cpu", "2", "--quiet"], start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # its workers exist before the first pause
        self.pause()

    def resume(self):
        os.killpg(self.proc.pid, signal.SIGCONT)

    def pause(self):
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def close(self):
        for sig in (signal.SIGCONT, signal.SIGTERM):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        self.proc.wait()


class Runner:
    def __init__(self, args):
        self.args = args
        self.stress = None

    def command(self, method, target):
        if method == "plain":
            return [target]
        if method == "stress":
            return [target]
        if method == "taskset":
            return ["taskset", "-c", "0", target]
        if method.startswith("nmz-"):
            config = os.path.join(HERE, "configs", method[len("nmz-"):] + ".toml")
            if not os.path.exists(config):
                sys.exit(f"repro.py: method {method}: no config {config}")
            return [self.args.nmz, "inspectors", "proc", "-autopilot", config,
                    "-watch-interval", self.args.watch_interval, "--", target]
        sys.exit(f"repro.py: unknown method {method!r} (expected plain, stress, taskset or nmz-POLICY)")

    def run_once(self, method, target):
        """True if the run failed."""
        if method == "stress":
            if self.stress is None:
                self.stress = Stress()
            self.stress.resume()
        try:
            proc = subprocess.Popen(self.command(method, target), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True, start_new_session=True)
            try:
                _, err = proc.communicate(timeout=self.args.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                return True
        finally:
            if method == "stress":
                self.stress.pause()
        if method.startswith("nmz-") and any(line.startswith("nmz inspectors") for line in err.splitlines()):
            sys.exit(f"repro.py: nmz itself failed under {method}:\n{err}")
        return proc.returncode != 0

    def close(self):
        if self.stress is not None:
            self.stress.close()


def resolve_target(name, build_dir):
    for candidate in (name, os.path.join(build_dir, "examples", "flaky", name)):
        if os.path.sep in candidate and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    found = shutil.which(name)
    if found:
        return found
    sys.exit(f"repro.py: target {name!r} not found (built examples are in {build_dir}/examples/flaky; "
             "run `ninja -C build` first)")


def measure(runner, targets, methods, runs, progress):
    counts = {(t, m): [0, 0] for t in targets for m in methods}
    order = list(methods)
    done = 0
    try:
        for run in range(runs):
            for target in targets:
                random.shuffle(order)
                for method in order:
                    failed = runner.run_once(method, targets[target])
                    counts[(target, method)][0] += 1
                    counts[(target, method)][1] += int(failed)
            done = run + 1
            if progress:
                print(f"  run {done}/{runs} done", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        # Ctrl-C: report what was measured so far (the runs column says how much).
        print(f"interrupted after {done} complete round(s) of {runs}", file=sys.stderr)
    return counts


def print_table(counts, targets, methods):
    print(f"{'target':<26} {'method':<14} {'runs':>5} {'fail':>5} {'rate':>7}   95% Wilson")
    nmz_best = 0
    buggy = [t for t in targets if not t.endswith("-fixed")]
    for target in targets:
        rates = {}
        for method in methods:
            runs, fails = counts[(target, method)]
            low, high = wilson(fails, runs)
            rates[method] = fails / runs if runs else 0.0
            flag = "  <-- FALSE FAILURE" if target.endswith("-fixed") and fails else ""
            print(f"{target:<26} {method:<14} {runs:>5} {fails:>5} {rates[method]:>6.1%}   "
                  f"[{low:5.1%}, {high:5.1%}]{flag}")
        if target in buggy:
            best_nmz = max((r for m, r in rates.items() if m.startswith("nmz-")), default=None)
            best_other = max((r for m, r in rates.items() if not m.startswith("nmz-")), default=None)
            if best_nmz is not None and best_other is not None and best_nmz > best_other:
                nmz_best += 1
    if buggy and any(m.startswith("nmz-") for m in methods):
        print(f"\nnmz (best policy) fails more often than every other method on {nmz_best} of "
              f"{len(buggy)} buggy targets")
    false_failures = sum(counts[(t, m)][1] for t in targets if t.endswith("-fixed") for m in methods)
    if any(t.endswith("-fixed") for t in targets):
        print(f"failures of fixed versions: {false_failures}")


def interrupt(signal_number, frame):
    raise KeyboardInterrupt


def main():
    # SIGTERM (or SIGINT, ignored by background jobs of a script) stops
    # measuring early and still prints the table.
    signal.signal(signal.SIGTERM, interrupt)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs per target and method (default 20)")
    parser.add_argument("--targets", default=",".join(BUGGY),
                        help="comma-separated commands or bundled target names (default: all buggy targets)")
    parser.add_argument("--fixed", action="store_true", help="also run NAME-fixed for every bundled NAME")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help=f"comma-separated (default {','.join(DEFAULT_METHODS)})")
    parser.add_argument("--demo", metavar="TARGET", nargs="?", const="flaky-uaf",
                        help="only plain vs nmz (configs/demo.toml) for one target; prints both rates")
    parser.add_argument("--build-dir", default=os.path.join(SOURCE_ROOT, "build"))
    parser.add_argument("--nmz", help="the nmz binary (default BUILD_DIR/core/nmz)")
    parser.add_argument("--watch-interval", default="50ms",
                        help="nmz's -watch-interval (default 50ms: a skew that lasts long enough to move "
                             "threads milliseconds apart)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before a run counts as hung")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args()
    if args.runs <= 0:
        sys.exit("repro.py: --runs must be positive")
    args.nmz = args.nmz or os.path.join(args.build_dir, "core", "nmz")
    if not os.access(args.nmz, os.X_OK):
        sys.exit(f"repro.py: nmz binary {args.nmz} not found (build first, or give --nmz)")

    runner = Runner(args)
    try:
        if args.demo:
            target = resolve_target(args.demo, args.build_dir)
            counts = measure(runner, {args.demo: target}, ["plain", f"nmz-{DEMO_POLICY}"], args.runs,
                             not args.quiet)
            for method, label in (("plain", "plain"), (f"nmz-{DEMO_POLICY}", "under nmz inspectors proc")):
                runs, fails = counts[(args.demo, method)]
                low, high = wilson(fails, runs)
                print(f"{args.demo} {label:<27} failed {fails:>3}/{runs} = {fails / max(runs, 1):6.1%}  "
                      f"(95% CI {low:.1%}..{high:.1%})")
            return 0
        names = [t for t in args.targets.split(",") if t]
        if args.fixed:
            names += [f"{n}-fixed" for n in names if n in BUGGY]
        targets = {n: resolve_target(n, args.build_dir) for n in names}
        methods = [m for m in args.methods.split(",") if m]
        for m in methods:
            runner.command(m, "true")  # checks the method before hours of runs
        counts = measure(runner, targets, methods, args.runs, not args.quiet)
        print_table(counts, list(targets), methods)
    finally:
        runner.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
