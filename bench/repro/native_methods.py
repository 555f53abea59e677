#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reproduction rates and slowdown of `nmz inspectors native` (pct depth 1..3,
random-walk) against plain runs, measured in the same run.

usage: bench/repro/native_methods.py [BUILD_DIR] [-runs N] [-targets a,b,...] [-methods a,b,...]

Targets are the programs of tests/native (built by meson), each buggy one
with its fixed twin (`--fixed`, which must never fail), and any command
given with -extra NAME=CMD (one shell command, exit status 0 = correct).
The programs built with -fsanitize=thread are also run with every access
a point (-tsan) and race-directed (-tsan -races FILE, the file learnt by
two runs first). For each target and method it
prints how many runs failed and the mean wall time per run; the ratio is
against plain runs of the same target. `nmz` itself costs a fixed start-up
and shut-down time per run, measured on /bin/true and printed separately;
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


def parse_args(argv):
    build = os.path.join(ROOT, "build")
    runs = 50
    targets = None
    methods = None
    extra = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-runs", "--runs"):
            runs = int(argv[i + 1])
            i += 2
        elif arg in ("-targets", "--targets"):
            targets = argv[i + 1].split(",")
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
    return build, runs, targets, methods, extra


BUILD, RUNS, ONLY, ONLY_METHODS, EXTRA = parse_args(sys.argv[1:])
NMZ = os.path.join(BUILD, "core", "nmz")
PROGRAMS = os.path.join(BUILD, "tests", "native")
PLAIN_TIMEOUT = 10  # a plain run of a deadlocking program hangs: count it as a failure


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


def nmz_command(config, flags, command):
    return [NMZ, "inspectors", "native", "-autopilot", config] + flags + ["--"] + command


def timed(args, timeout=120):
    start = time.monotonic()
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr, time.monotonic() - start
    except subprocess.TimeoutExpired:
        return None, "", "", time.monotonic() - start


def choice_points(config, command, extra_flags):
    """PCT's k for this target and kind of points (extra_flags): the choice
    points of one controlled run."""
    _, _, err, _ = timed(nmz_command(config, extra_flags + ["-policy", "pct", "-seed", "1"], command))
    m = re.search(r"(\d+) choice points", err)
    return max(1, int(m.group(1))) if m else 50


def main():
    if not os.path.exists(NMZ):
        sys.exit("no nmz binary at %s: build first (meson setup build && ninja -C build)" % NMZ)
    with tempfile.TemporaryDirectory(prefix="nmz-native-bench-") as work:
        config = os.path.join(work, "config.toml")
        with open(config, "w") as f:
            f.write('explorePolicy = "dumb"\n')
        fixed_ms = 1000 * sorted(timed(nmz_command(config, [], ["/bin/true"]))[3] for _ in range(5))[2]
        print("nmz start-up + shut-down per run (on /bin/true): %.0f ms. 'target ms' is the wrapped command's own "
              "time (spawn to exit, from the inspector's summary; for plain runs, measured here)" % fixed_ms)
        print("runs per method: %d; failing = exit status differs from a correct run's "
              "(a deadlock report or a plain hang counts)\n" % RUNS)
        print("%-26s %-13s %10s %6s %10s %10s %9s" % ("target", "method", "failures", "rate", "ms/run", "target ms",
                                                     "slowdown"))
        for name, command, good, extra_flags in TARGETS:
            if ONLY and name.split()[0] not in ONLY:
                continue
            if not os.path.exists(command[0]) and command[0] != "sh":
                print("%-26s (not built)" % name)
                continue
            methods = list(METHODS)
            if name.split()[0] in TSAN_BUGS:
                races = os.path.join(work, name.split()[0] + ".races")
                for seed in (1, 2):  # learn the races
                    timed(nmz_command(config, ["-tsan", "-races", races, "-seed", str(seed)], command))
                methods += [(method, [races if flag == "RACES" else flag for flag in flags])
                            for method, flags in TSAN_METHODS]
            plain_ms = None
            steps_of = {}
            for method, flags in methods:
                if ONLY_METHODS and method not in ONLY_METHODS:
                    continue
                # k per kind of points: sync only, every access, racing accesses
                points_flags = extra_flags + ([] if flags is None else flags[:flags.index("-policy")])
                if flags is not None and tuple(points_flags) not in steps_of:
                    steps_of[tuple(points_flags)] = choice_points(config, command, points_flags)
                steps = steps_of.get(tuple(points_flags), 0)
                failures = 0
                total = 0.0
                target_total = 0.0
                for seed in range(1, RUNS + 1):
                    if flags is None:
                        code, _, _, elapsed = timed(command, timeout=PLAIN_TIMEOUT)
                        target_elapsed = elapsed
                    else:
                        args = extra_flags + flags + ["-steps", str(steps), "-seed", str(seed)]
                        code, _, err, elapsed = timed(nmz_command(config, args, command))
                        m = re.search(r"after ([0-9.]+) ms", err)
                        target_elapsed = float(m.group(1)) / 1000 if m else elapsed
                    failures += 0 if code == good else 1
                    total += elapsed
                    target_total += target_elapsed
                ms = 1000 * total / RUNS
                target_ms = 1000 * target_total / RUNS
                plain_ms = target_ms if plain_ms is None else plain_ms
                print("%-26s %-13s %6d/%-3d %5.0f%% %10.1f %10.1f %8.1fx  k=%s" %
                      (name if method == "plain" else "", method, failures, RUNS, 100.0 * failures / RUNS, ms,
                       target_ms, target_ms / plain_ms, steps if flags is not None else "-"), flush=True)
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
