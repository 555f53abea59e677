#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reproduction rates and cost per run of `nmz inspectors native` (pct depth
1..3, random-walk) against plain runs, measured in the same run.

usage: bench/repro/native_methods.py [BUILD_DIR] [-runs N] [-targets a,b,...] [-methods a,b,...] [-baseline NMZ]

Targets are the programs of tests/native (built by meson), each buggy one
with its fixed twin (`--fixed`, which must never fail), and any command
given with -extra NAME=CMD (one shell command, exit status 0 = correct).
Each method runs in loop mode (one nmz, `-n N`, k learnt by the loop). The
programs built with -fsanitize=thread are also run with every access a
point (-tsan) and race-directed (-tsan -races FILE, the file learnt by two
runs first). One more row runs a whole nmz per run, which is what a run
costs without loop mode (-baseline NMZ adds the same row for another nmz
binary, such as an older build). For each target and method it prints the
failures, the rate with its 95% Wilson interval, the wall time per run, and
the ratio and difference against plain runs of the same target.
lock_heavy also reports the time of its threaded section alone (no process
start-up), which is the scheduler's own overhead.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from repro import wilson  # noqa: E402  (one interval for both benches)


def parse_args(argv):
    build = os.path.join(ROOT, "build")
    runs = 50
    targets = None
    methods = None
    extra = []
    baseline = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-runs", "--runs"):
            runs = int(argv[i + 1])
            i += 2
        elif arg in ("-targets", "--targets"):
            targets = argv[i + 1].split(",")
            i += 2
        elif arg in ("-baseline", "--baseline"):
            baseline = argv[i + 1]
            i += 2
        elif arg in ("-methods", "--methods"):
            methods = argv[i + 1].split(",")  # e.g. "plain,race pct d=3"
            i += 2
        elif arg in ("-extra", "--extra"):
            name, command = argv[i + 1].split("=", 1)
            extra.append((name, ["sh", "-c", command], 0, []))
            i += 2
        else:
            build = arg
            i += 1
    return build, runs, targets, methods, extra, baseline


BUILD, RUNS, ONLY, ONLY_METHODS, EXTRA, BASELINE_NMZ = parse_args(sys.argv[1:])
NMZ = os.path.join(BUILD, "core", "nmz")
PROGRAMS = os.path.join(BUILD, "tests", "native")
PLAIN_TIMEOUT = 10  # a plain run of a deadlocking program hangs: count it as a failure
SINGLE_RUNS = 10  # runs of the one-nmz-per-run comparison


def bundled(name, *args):
    return [os.path.join(PROGRAMS, "native_" + name)] + list(args)


# name, command, expected exit status of a correct run, extra inspector flags
TARGETS = [
    ("lost_update", bundled("lost_update"), 0, []),
    ("lost_update --fixed", bundled("lost_update", "--fixed"), 0, []),
    ("abba_deadlock", bundled("abba_deadlock"), 0, []),
    ("cond_pipe", bundled("cond_pipe"), 0, []),
]
# The programs that take --fixed for a twin that must never fail, and,
# among them, those built with -fsanitize=thread (plain-memory races).
# name: (program, arguments)
SYNC_BUGS = {name: (name, []) for name in
             ("last_one_out", "philosophers", "lost_wakeup", "if_not_while", "exit_use_after_free")}
TSAN_BUGS = {"racy_counter": ("racy_counter", []), "many_counter": ("racy_counter", ["6", "2"]),
             "reorder": ("reorder", []), "wrong_lock": ("wrong_lock", []), "check_then_act": ("check_then_act", []),
             "stats_publish": ("stats_publish", [])}
for bug, (program, args) in list(SYNC_BUGS.items()) + list(TSAN_BUGS.items()):
    TARGETS += [(bug, bundled(program, *args), 0, []), (bug + " --fixed", bundled(program, "--fixed", *args), 0, [])]
TARGETS += EXTRA

METHODS = [
    ("plain", None),
    ("pct d=1", ["-policy", "pct", "-depth", "1"]),
    ("pct d=2", ["-policy", "pct", "-depth", "2"]),
    ("pct d=3", ["-policy", "pct", "-depth", "3"]),
    ("random-walk", ["-policy", "random-walk"]),
]
# For the -fsanitize=thread targets: every access a point (-tsan), and
# race-directed (-tsan -races FILE, learnt by two runs first; RACES is
# replaced by the target's file).
TSAN_METHODS = [
    ("tsan pct d=3", ["-tsan", "-policy", "pct", "-depth", "3"]),
    ("tsan walk", ["-tsan", "-policy", "random-walk"]),
    ("race pct d=2", ["-tsan", "-races", "RACES", "-policy", "pct", "-depth", "2"]),
    ("race pct d=3", ["-tsan", "-races", "RACES", "-policy", "pct", "-depth", "3"]),
    ("race walk", ["-tsan", "-races", "RACES", "-policy", "random-walk"]),
]


def nmz_command(config, flags, command, nmz=NMZ):
    return [nmz, "inspectors", "native", "-autopilot", config] + flags + ["--"] + command


def timed(args, timeout=120):
    start = time.monotonic()
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr, time.monotonic() - start
    except subprocess.TimeoutExpired:
        return None, "", "", time.monotonic() - start


def plain_runs(command, good):
    """RUNS plain runs, one process each, timed like nmz's loop times its runs (spawn to exit)."""
    failures = 0
    start = time.monotonic()
    for _ in range(RUNS):
        code, _, _, _ = timed(command, timeout=PLAIN_TIMEOUT)
        failures += 0 if code == good else 1
    return failures, RUNS, 1000 * (time.monotonic() - start) / RUNS, ""


def loop_runs(config, flags, command, good):
    """One nmz in loop mode (-n RUNS): its summary line gives failures and ms per run."""
    code, out, err, elapsed = timed(nmz_command(config, ["-n", str(RUNS), "-seed", "1"] + flags, command),
                                    timeout=60 + 60 * RUNS)
    m = re.search(r"^native loop: (\d+) runs, (\d+)/\d+ failed .*?, ([0-9.]+) ms per run", out, re.M)
    if m is None:
        sys.exit("no loop summary (exit %s): %s\n%s" % (code, out, err[-2000:]))
    if good != 0:
        sys.exit("loop mode counts exit status 0 as success; target expects %d" % good)
    k = re.search(r", k (\d+)", out)
    return int(m.group(2)), int(m.group(1)), float(m.group(3)), ("k %s" % k.group(1)) if k else ""


def single_runs(config, flags, command, good, runs, nmz=NMZ):
    """One whole `nmz inspectors native` per run: what a run costs without loop mode."""
    failures = 0
    start = time.monotonic()
    for seed in range(1, runs + 1):
        code, _, _, _ = timed(nmz_command(config, flags + ["-seed", str(seed)], command, nmz))
        failures += 0 if code == good else 1
    return failures, runs, 1000 * (time.monotonic() - start) / runs, "k 50 (no loop to learn it)"


def main():
    if not os.path.exists(NMZ):
        sys.exit("no nmz binary at %s: build first (meson setup build && ninja -C build)" % NMZ)
    with tempfile.TemporaryDirectory(prefix="nmz-native-bench-") as work:
        config = os.path.join(work, "config.toml")
        with open(config, "w") as f:
            f.write('explorePolicy = "dumb"\n')
        print("runs per method: %d (loop mode: one nmz, -n %d, base seed 1; PCT's k learnt by the loop); "
              "failing = exit status differs from a correct run's (a deadlock report or a plain hang counts)" %
              (RUNS, RUNS))
        print("ms/run: wall time per run, spawn to exit, plain runs measured here in the same way; "
              "overhead = ms/run against plain, and nmz's added ms per run\n")
        print("%-26s %-26s %9s %6s %17s %8s %9s %9s  %s" % ("target", "method", "failures", "rate", "95% Wilson",
                                                           "ms/run", "overhead", "added ms", ""))
        for name, command, good, extra_flags in TARGETS:
            if ONLY and name.split()[0] not in ONLY:
                continue
            if not os.path.exists(command[0]) and command[0] != "sh":
                print("%-26s (not built)" % name)
                continue
            methods = [(method, flags) for method, flags in METHODS if flags is not None]
            if name.split()[0] in TSAN_BUGS:
                races = os.path.join(work, name.split()[0] + ".races")
                for seed in (1, 2):  # learn the races
                    timed(nmz_command(config, ["-tsan", "-races", races, "-seed", str(seed)], command))
                methods += [(method, [races if flag == "RACES" else flag for flag in flags])
                            for method, flags in TSAN_METHODS]
            plain_ms = None
            rows = [("plain", lambda: plain_runs(command, good))]
            rows += [(method, lambda flags=flags: loop_runs(config, extra_flags + flags, command, good))
                     for method, flags in methods]
            single = min(RUNS, SINGLE_RUNS)
            rows.append(("pct d=3, nmz per run", lambda: single_runs(config, extra_flags + ["-depth", "3"], command,
                                                                     good, single)))
            if BASELINE_NMZ:
                rows.append(("  same, -baseline nmz", lambda: single_runs(config, extra_flags + ["-depth", "3"],
                                                                          command, good, single, BASELINE_NMZ)))
            for method, measure in rows:
                if ONLY_METHODS and method != "plain" and method not in ONLY_METHODS:
                    continue
                failures, runs, ms, note = measure()
                low, high = wilson(failures, runs)
                plain_ms = ms if plain_ms is None else plain_ms
                print("%-26s %-26s %5d/%-3d %5.0f%%   [%5.1f%%, %5.1f%%] %8.1f %8.1fx %+9.1f  %s" %
                      (name if method == "plain" else "", method, failures, runs, 100.0 * failures / max(runs, 1),
                       100 * low, 100 * high, ms, ms / plain_ms, ms - plain_ms, note), flush=True)
        if not ONLY or "lock_heavy" in ONLY:
            lock_heavy(config)


def lock_heavy(config):
    program = os.path.join(PROGRAMS, "native_lock_heavy")
    print("\nlock_heavy: threaded section only (printed by the program), median of 5; the machine's load "
          "inflates wall time, CPU time is the steadier measure")
    for threads, iterations in ((4, 500000), (4, 50000)):
        args = [program, str(threads), str(iterations), "--time"]
        plain = None
        for method, flags in METHODS:
            if method == "random-walk" and iterations > 50000:
                continue  # a thread switch at nearly every point: measured on the smaller size
            walls = []
            cpus = []
            for seed in (1, 2, 3, 4, 5):
                command = args if flags is None else nmz_command(config, flags + ["-seed", str(seed)], args)
                code, out, err, _ = timed(command, timeout=600)
                m = re.search(r"elapsed_ms ([0-9.]+) cpu_ms ([0-9.]+)", out)
                if code != 0 or not m:
                    sys.exit("lock_heavy failed under %s: exit %s %s" % (method, code, err[-500:]))
                walls.append(float(m.group(1)))
                cpus.append(float(m.group(2)))
            wall = sorted(walls)[2]
            cpu = sorted(cpus)[2]
            plain = (wall, cpu) if plain is None else plain
            print("  %d threads x %6d lock/unlock  %-12s wall %8.1f ms %7.1fx   cpu %8.1f ms %7.1fx" %
                  (threads, iterations, method, wall, wall / plain[0], cpu, cpu / plain[1]))


if __name__ == "__main__":
    main()
