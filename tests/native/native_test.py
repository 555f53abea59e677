#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `nmz inspectors native` on real programs.

usage: native_test.py CASE PROGRAM...
The programs are the bundled ones (tests/native/meson.build), found by name
(native_lost_update is "lost_update"); those built with -fsanitize=thread
are missing in sanitizer builds. Every run has a time-out: a controller
that hangs fails the test instead of wedging the suite.
"""
import os
import re
import subprocess
import sys
import tempfile

NMZ = os.environ["NMZ_BIN"]
CASE = sys.argv[1]
PROGRAMS = {os.path.basename(path)[len("native_"):]: path for path in sys.argv[2:]}
LOST_UPDATE, ABBA, COND_PIPE, LOCK_HEAVY = (PROGRAMS[name] for name in
                                            ("lost_update", "abba_deadlock", "cond_pipe", "lock_heavy"))
RACY_COUNTER = PROGRAMS.get("racy_counter")  # not built in sanitizer builds
DEADLOCK_EXIT = 86
# The number of choice points lost_update has (the run summary reports it):
# PCT's k.
LOST_UPDATE_STEPS = "12"


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


class Runner:
    def __init__(self, workdir):
        self.config = os.path.join(workdir, "config.toml")
        write_file(self.config, 'explorePolicy = "dumb"\n')

    def native(self, flags, command, timeout=60):
        args = [NMZ, "inspectors", "native", "-autopilot", self.config] + flags + ["--"] + command
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            fail("timed out after %ds (the controller hung): %s" % (timeout, " ".join(args)))


def expect_refused(result, needles, what):
    """Bad input: exit status 2 and a message naming what is wrong."""
    if result.returncode != 2 or any(needle not in result.stderr for needle in needles):
        fail("%s: expected exit 2 naming %s, got %d: %s" % (what, needles, result.returncode, result.stderr))


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


def failures(runner, flags_for_seed, command, seeds):
    count = 0
    for seed in seeds:
        r = runner.native(flags_for_seed(seed), command)
        if r.returncode not in (0, 1):
            fail("unexpected exit status %d: %s" % (r.returncode, r.stderr))
        count += r.returncode
    return count


def pct(depth):
    return lambda seed: ["-policy", "pct", "-depth", str(depth), "-steps", LOST_UPDATE_STEPS, "-seed", str(seed)]


def random_walk(seed):
    return ["-policy", "random-walk", "-seed", str(seed)]


def case_ordering(runner):
    plain = sum(subprocess.run([LOST_UPDATE], capture_output=True, timeout=30).returncode for _ in range(100))
    seeds = range(1, 41)
    pct2 = failures(runner, pct(2), [LOST_UPDATE], seeds)
    walk = failures(runner, random_walk, [LOST_UPDATE], seeds)
    fixed = failures(runner, pct(2), [LOST_UPDATE, "--fixed"], range(1, 21)) + failures(
        runner, random_walk, [LOST_UPDATE, "--fixed"], range(1, 21))
    print("lost_update failures: plain %d/100, pct depth 2 %d/40, random-walk %d/40, fixed version %d/40" %
          (plain, pct2, walk, fixed))
    if pct2 < 4:
        fail("pct depth 2 showed the bug in %d of 40 seeds, expected at least 10%%" % pct2)
    if walk < 4:
        fail("random-walk showed the bug in %d of 40 seeds, expected at least 10%%" % walk)
    if pct2 / 40 <= plain / 100:
        fail("pct (%d/40) is not better than plain runs (%d/100)" % (pct2, plain))
    if fixed != 0:
        fail("%d false failures on the fixed version" % fixed)


def case_deadlock(runner):
    for flags in (["-policy", "pct", "-seed", "1"], ["-policy", "random-walk", "-seed", "2"]):
        r = runner.native(flags, [ABBA, "--always"], timeout=30)
        if r.returncode != DEADLOCK_EXIT:
            fail("expected exit status %d for the deadlock, got %d: %s" % (DEADLOCK_EXIT, r.returncode, r.stderr))
        for needle in ("deadlock", "T1 (tid", "T2 (tid", "pthread_mutex_lock(0x", "held by T1", "held by T2",
                       "waits for T1 to exit"):
            if needle not in r.stderr:
                fail("the deadlock report lacks %r:\n%s" % (needle, r.stderr))
    r = runner.native(["-deadlock-exit", "3"], [ABBA, "--always"], timeout=30)
    if r.returncode != 3:
        fail("-deadlock-exit 3: got exit status %d" % r.returncode)
    # The racy variant deadlocks only in some schedules; the others finish.
    outcomes = {runner.native(["-policy", "random-walk", "-seed", str(s)], [ABBA], timeout=30).returncode
                for s in range(1, 31)}
    print("abba without handshake, random-walk seeds 1..30: exit statuses %s" % sorted(outcomes))
    if not outcomes <= {0, DEADLOCK_EXIT} or outcomes != {0, DEADLOCK_EXIT}:
        fail("expected both finished (0) and deadlocked (%d) runs, got %s" % (DEADLOCK_EXIT, sorted(outcomes)))


def read_decisions(path):
    with open(path) as f:
        lines = f.read().splitlines()
    if lines[0] != "# nmz native schedule 1":
        fail("unexpected schedule file header %r" % lines[0])
    header = dict(line.split(" ", 1) for line in lines[1:6])
    decisions = " ".join(lines[6:]).split()
    if int(header["decisions"]) != len(decisions):
        fail("%s: header says %s decisions, file has %d" % (path, header["decisions"], len(decisions)))
    return header, decisions


def case_replay(runner):
    work = os.path.dirname(runner.config)
    recorded = os.path.join(work, "failing.schedule")
    failing_seed = None
    for seed in range(1, 200):
        r = runner.native(pct(2)(seed) + ["-record", recorded], [LOST_UPDATE])
        if r.returncode == 1:
            failing_seed = seed
            break
    if failing_seed is None:
        fail("no failing pct schedule in 200 seeds")
    header, decisions = read_decisions(recorded)
    if header["policy"] != "pct" or header["seed"] != str(failing_seed) or not decisions:
        fail("recorded header %s does not describe the run" % header)
    again = os.path.join(work, "again.schedule")
    for _ in range(5):
        r = runner.native(["-replay", recorded, "-record", again], [LOST_UPDATE])
        if r.returncode != 1 or "lost update" not in r.stderr:
            fail("replaying the failing schedule did not fail (exit %d): %s" % (r.returncode, r.stderr))
        if read_decisions(again)[1] != decisions:
            fail("the replayed run decided differently from the recorded one")
    # Replay holds whatever seed the policy is given afterwards: the
    # recorded decisions come first.
    r = runner.native(["-replay", recorded, "-seed", str(failing_seed + 1000)], [LOST_UPDATE])
    if r.returncode != 1 or "diverged" in r.stderr:
        fail("replay with another seed did not reproduce the failure: %s" % r.stderr)
    # A passing schedule replays as passing.
    passing = os.path.join(work, "passing.schedule")
    for seed in range(1, 200):
        if runner.native(pct(2)(seed) + ["-record", passing], [LOST_UPDATE]).returncode == 0:
            break
    for _ in range(3):
        if runner.native(["-replay", passing], [LOST_UPDATE]).returncode != 0:
            fail("replaying a passing schedule failed")
    # The same seed gives the same schedule (random-walk draws at every point).
    first = os.path.join(work, "walk1.schedule")
    second = os.path.join(work, "walk2.schedule")
    runner.native(["-policy", "random-walk", "-seed", "99", "-record", first], [COND_PIPE])
    runner.native(["-policy", "random-walk", "-seed", "99", "-record", second], [COND_PIPE])
    if read_decisions(first) != read_decisions(second):
        fail("random-walk with the same seed decided differently on a deterministic program")
    # Bad schedule files are refused before anything runs.
    expect_refused(runner.native(["-replay", os.path.join(work, "missing.schedule")], [LOST_UPDATE]),
                   ["-replay", "missing.schedule"], "a missing -replay file")
    broken = os.path.join(work, "broken.schedule")
    write_file(broken, "# nmz native schedule 1\npolicy pct\ndepth 2\nseed 1\nsteps 12\ndecisions 3\n0 1 x\n")
    expect_refused(runner.native(["-replay", broken], [LOST_UPDATE]), ["broken.schedule:7", '"x"'],
                   "a malformed -replay file")


def case_cond_read(runner):
    runs = [["-policy", "pct", "-seed", str(s)] for s in (1, 2, 3)]
    runs += [["-policy", "random-walk", "-seed", str(s)] for s in (4, 5)]
    runs += [["-io", "-policy", "pct", "-seed", "6"], ["-io", "-policy", "random-walk", "-seed", "7"]]
    runs += [["-block-budget", "5ms", "-policy", "random-walk", "-seed", "8"]]
    for flags in runs:
        r = runner.native(flags, [COND_PIPE], timeout=60)
        if r.returncode != 0:
            fail("cond_pipe %s: exit %d: %s" % (" ".join(flags), r.returncode, r.stderr))
        if not re.search(r"\d+ scheduling points", r.stderr):
            fail("no run summary: %s" % r.stderr)


def case_lock_heavy(runner):
    r = runner.native(["-policy", "pct", "-seed", "1"], [LOCK_HEAVY, "4", "250000"], timeout=100)
    if r.returncode != 0:
        fail("lock_heavy under pct: exit %d: %s" % (r.returncode, r.stderr))
    points = int(re.search(r"(\d+) scheduling points", r.stderr).group(1))
    if points < 2000000:
        fail("a million lock/unlock pairs gave only %d scheduling points" % points)
    r = runner.native(["-policy", "random-walk", "-seed", "1"], [LOCK_HEAVY, "4", "10000"], timeout=100)
    if r.returncode != 0:
        fail("lock_heavy under random-walk: exit %d: %s" % (r.returncode, r.stderr))


def case_exit_and_flags(runner):
    r = runner.native([], ["sh", "-c", "exit 7"])
    if r.returncode != 7:
        fail("exit status 7 was not passed through: %d" % r.returncode)
    if "started no second thread" not in r.stderr:
        fail("a single-threaded command should be reported as not scheduled: %s" % r.stderr)
    r = runner.native([], ["sh", "-c", "kill -TERM $$"])
    if r.returncode != 128 + 15:
        fail("a command killed by SIGTERM should give 143, got %d" % r.returncode)
    r = runner.native(["-policy", "pct"], [LOST_UPDATE, "--fixed"])
    if r.returncode != 0:
        fail("fixed lost_update failed: %s" % r.stderr)
    bad = [
        (["-policy", "fifo"], "-policy"),
        (["-depth", "0"], "-depth"),
        (["-steps", "0"], "-steps"),
        (["-seed", "-3"], "-seed"),
        (["-block-budget", "0s"], "-block-budget"),
        (["-deadlock-exit", "300"], "-deadlock-exit"),
        (["-preload", "/nonexistent/lib.so"], "-preload"),
        (["-record", "/nonexistent/dir/x"], "-record"),
        (["-nosuchflag"], "nosuchflag"),
    ]
    for flags, needle in bad:
        expect_refused(runner.native(flags, [LOST_UPDATE]), [needle], "flags %s" % flags)
    expect_refused(subprocess.run([NMZ, "inspectors", "native", "-autopilot", runner.config], capture_output=True,
                                  text=True, timeout=30), ["no command"], "no command")
    r = runner.native([], ["/nonexistent/program"])
    if r.returncode == 0 or "/nonexistent/program" not in r.stderr:
        fail("a missing program: exit %d: %s" % (r.returncode, r.stderr))


def case_policies(runner):
    """The orchestrator-side pct and random-walk policies, loaded by the real host."""
    work = os.path.dirname(runner.config)
    r = subprocess.run([NMZ, "plugins", "list"], capture_output=True, text=True, timeout=30)
    for name in ("pct", "random-walk", "native"):
        if not re.search(r"^%s\s" % re.escape(name), r.stdout, re.M):
            fail("nmz plugins list lacks %s:\n%s" % (name, r.stdout))
    for text, needle in (('depth = 0', "explorePolicyParam.depth"), ('steps = -1', "explorePolicyParam.steps"),
                         ('interval = "soon"', "explorePolicyParam.interval")):
        bad = os.path.join(work, "bad.toml")
        write_file(bad, 'explorePolicy = "pct"\n[explorePolicyParam]\n%s\n' % text)
        expect_refused(subprocess.run([NMZ, "inspectors", "native", "-autopilot", bad, "--", LOST_UPDATE],
                                      capture_output=True, text=True, timeout=30), [needle], text)
    for policy in ("pct", "random-walk"):
        good = os.path.join(work, policy + ".toml")
        write_file(good, 'explorePolicy = "%s"\n[explorePolicyParam]\ninterval = "1ms"\n' % policy)
        r = subprocess.run([NMZ, "inspectors", "native", "-autopilot", good, "--", LOST_UPDATE, "--fixed"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0 or 'explore policy "%s"' % policy not in r.stderr:
            fail("a run under the %s policy: exit %d: %s" % (policy, r.returncode, r.stderr))


def case_steps_file(runner):
    work = os.path.dirname(runner.config)
    steps = os.path.join(work, "k")
    r = runner.native(["-steps-file", steps, "-seed", "1"], [COND_PIPE])
    if r.returncode != 0 or " k 50 " not in r.stderr:
        fail("first run with a new -steps-file should use the default k: %s" % r.stderr)
    with open(steps) as f:
        learned = int(f.read())
    if learned < 100:
        fail("-steps-file stored %d steps for a run with hundreds of choice points" % learned)
    r = runner.native(["-steps-file", steps, "-seed", "1"], [COND_PIPE])
    if " k %d " % learned not in r.stderr:
        fail("the second run did not use the stored k %d: %s" % (learned, r.stderr))
    write_file(steps, "many\n")
    expect_refused(runner.native(["-steps-file", steps], [COND_PIPE]), ["-steps-file", "many"], "a corrupt -steps-file")


def case_tsan(runner):
    """Memory accesses as scheduling points (-tsan) on a lock-free data race."""
    if RACY_COUNTER is None:
        print("racy_counter is not built in sanitizer builds")
        sys.exit(77)
    plain = sum(subprocess.run([RACY_COUNTER], capture_output=True, timeout=30).returncode for _ in range(100))
    r = runner.native(["-tsan", "-seed", "1"], [RACY_COUNTER])
    steps = re.search(r"(\d+) choice points", r.stderr)
    if r.returncode not in (0, 1) or not steps:
        fail("racy_counter under -tsan: exit %d: %s" % (r.returncode, r.stderr))
    k = steps.group(1)
    # Depth 3: the first thread must be preempted between its load and its
    # store, and the second one created and run before it resumes.
    seeds = range(1, 61)
    sync_only = failures(runner, lambda s: ["-policy", "pct", "-depth", "3", "-steps", k, "-seed", str(s)],
                         [RACY_COUNTER], seeds)
    memory = failures(runner, lambda s: ["-tsan", "-policy", "pct", "-depth", "3", "-steps", k, "-seed", str(s)],
                      [RACY_COUNTER], seeds)
    walk = failures(runner, lambda s: ["-tsan", "-policy", "random-walk", "-seed", str(s)], [RACY_COUNTER], seeds)
    print("racy_counter failures: plain %d/100, pct d=3 at sync points only %d/60, with -tsan: pct d=3 %d/60 "
          "(k=%s), random-walk %d/60" % (plain, sync_only, memory, k, walk))
    if sync_only != 0:
        fail("without memory points the two increments cannot interleave, yet %d runs failed" % sync_only)
    if memory < 6 or walk < 6:
        fail("-tsan should expose the race in at least 10%% of runs: pct %d/60, random-walk %d/60" % (memory, walk))


def case_events(runner):
    """-events: the run's scheduling points reach the orchestrator as CFunctionEvents."""
    env = dict(os.environ, NMZ_DEBUG="1")

    def run(limit):
        args = [NMZ, "inspectors", "native", "-autopilot", runner.config, "-events", str(limit), "-seed", "7",
                "--", ABBA, "--always"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=30, env=env)
        if r.returncode != DEADLOCK_EXIT:
            fail("-events run: exit %d: %s" % (r.returncode, r.stderr))
        return r.stderr.count("for CFunctionEvent"), int(re.search(r"(\d+) scheduling points", r.stderr).group(1)), r

    events, points, _ = run(1000)
    if events < points + 1:
        fail("-events 1000: %d events reached the orchestrator for %d points (plus the summary)" % (events, points))
    again, _, _ = run(1000)
    if again != events:
        fail("the same seed gave %d events, then %d" % (events, again))
    capped, _, r = run(5)
    if capped != 6 or "reporting the first 5 of" not in r.stderr:
        fail("-events 5: expected 5 points and the summary, got %d events: %s" % (capped, r.stderr))
    expect_refused(runner.native(["-events", "-1"], [LOST_UPDATE]), ["-events"], "-events -1")


def loop_summary(result):
    """The loop's summary on standard output: runs, failures, first failure, replay line."""
    m = re.search(r"^native loop: (\d+) runs, (\d+)/(\d+) failed", result.stdout, re.M)
    if not m or m.group(1) != m.group(3):
        fail("no loop summary on stdout: %s\n%s" % (result.stdout, result.stderr[-2000:]))
    replay = re.search(r"^replay: (.*)$", result.stdout, re.M)
    seed = re.search(r"^first failure: run (\d+), exit status (\d+), seed (\d+)", result.stdout, re.M)
    return int(m.group(1)), int(m.group(2)), seed, replay.group(1) if replay else None


def case_loop(runner):
    """-n: one nmz runs the program many times; counts, exit status, replay line."""
    # A bug-free program: every run counted, none failed, exit 0, no replay line.
    r = runner.native(["-n", "12", "-jobs", "2"], [LOST_UPDATE, "--fixed"], timeout=120)
    runs, failed, first, replay = loop_summary(r)
    if (r.returncode, runs, failed, first, replay) != (0, 12, 0, None, None):
        fail("fixed program in a loop: exit %d, %d runs, %d failed: %s" % (r.returncode, runs, failed, r.stdout))
    # Until the first failure: random-walk loses the update in most runs.
    r = runner.native(["-n", "200", "-until-failure", "-policy", "random-walk"], [LOST_UPDATE], timeout=120)
    runs, failed, first, replay = loop_summary(r)
    if r.returncode != 1 or failed != 1 or first is None or int(first.group(1)) != runs or replay is None:
        fail("-until-failure: expected exit 1 after exactly one failure, the last run: exit %d\n%s" %
             (r.returncode, r.stdout))
    # The printed command, run alone, fails the same way three times out of three.
    for _ in range(3):
        again = subprocess.run(replay, shell=True, capture_output=True, text=True, timeout=60)
        if again.returncode != int(first.group(2)) or "seed %s" % first.group(3) not in again.stderr:
            fail("the replay line did not reproduce the failure (exit %d): %s\n%s" %
                 (again.returncode, replay, again.stderr))
    # All runs: the counts add up, the exit status says a run failed, and the
    # same base seed gives the same runs.
    counts = []
    for _ in range(2):
        r = runner.native(["-n", "30", "-jobs", "2", "-policy", "pct", "-depth", "2", "-seed", "5"], [LOST_UPDATE],
                          timeout=120)
        runs, failed, first, replay = loop_summary(r)
        if runs != 30 or failed == 0 or r.returncode != 1:
            fail("30 pct runs: exit %d, %d runs, %d failed: %s" % (r.returncode, runs, failed, r.stdout))
        counts.append((failed, first.group(3)))
    if len(set(c[0] for c in counts)) != 1:
        fail("two loops with base seed 5 failed a different number of times: %s" % counts)
    expect_refused(runner.native(["-n", "0"], [LOST_UPDATE]), ["-n"], "-n 0")
    expect_refused(runner.native(["-jobs", "2"], [LOST_UPDATE]), ["-jobs", "-n"], "-jobs without -n")
    expect_refused(runner.native(["-n", "3", "-jobs", "0"], [LOST_UPDATE]), ["-jobs"], "-jobs 0")


def case_adaptive_k(runner):
    """PCT's k is learnt in a loop: it converges on the program's largest choice-point count."""
    # cond_pipe's runs have hundreds of choice points (default k: 50);
    # lost_update's about a dozen.
    for program, low, high in ((COND_PIPE, 100, 100000), (LOST_UPDATE, 5, 30)):
        # Each run's own count, from its (debug) summary, is what k must reach.
        r = subprocess.run([NMZ, "inspectors", "native", "-autopilot", runner.config, "-n", "8", "-policy", "pct",
                            "-depth", "2", "-seed", "3", "--", program], capture_output=True, text=True,
                           timeout=300, env=dict(os.environ, NMZ_DEBUG="1"))
        runs, _, _, _ = loop_summary(r)
        counts = [int(c) for c in re.findall(r"(\d+) choice points", r.stderr)]
        used = [int(c) for c in re.findall(r"pct depth 2 k (\d+) seed \d+: ", r.stderr)]
        learnt = re.search(r", k (\d+) \(learnt; started at 50\)", r.stdout)
        if runs != 8 or len(counts) != 8 or len(used) != 8 or not learnt:
            fail("expected 8 per-run debug summaries and a learnt k: %s\n%s" % (r.stdout, r.stderr[-3000:]))
        if int(learnt.group(1)) != max(counts) or not low <= max(counts) <= high:
            fail("k %s is not the largest count %s seen (%s)" % (learnt.group(1), max(counts), counts))
        if used[0] != 50:
            fail("the first run should start at the default k 50, got %d" % used[0])
        # After the first run, every run got the largest count seen before it.
        for i in range(1, 8):
            if used[i] != max(counts[:i]):
                fail("run %d got k %d, expected %d (counts %s, k %s)" % (i + 1, used[i], max(counts[:i]), counts, used))
        print("%s: k learnt %s, counts %s" % (os.path.basename(program), learnt.group(1), counts))



def summary_count(stderr, what):
    """A number from the run summary line ("N choice points")."""
    m = re.search(r"(\d+) %s" % what, stderr)
    if not m:
        fail("no %r in the run summary: %s" % (what, stderr))
    return m.group(1)


def tsan_program(name):
    program = PROGRAMS.get(name)
    if program is None:
        print("%s is not built in sanitizer builds" % name)
        sys.exit(77)
    return program


def race_directed(races, depth, steps):
    return lambda seed: ["-tsan", "-races", races, "-policy", "pct", "-depth", str(depth), "-steps", steps,
                         "-seed", str(seed)]


def case_race_directed(runner):
    """-tsan -races: the races are learned, then only they are points, which
    reaches a reorder bug that synchronisation points alone cannot."""
    reorder = tsan_program("reorder")
    work = os.path.dirname(runner.config)
    races = os.path.join(work, "reorder.races")
    # The first run learns: its happens-before detector finds the racing
    # instructions whatever the schedule.
    r = runner.native(["-tsan", "-races", races, "-seed", "1"], [reorder])
    if r.returncode not in (0, 1) or "racing pairs" not in r.stderr:
        fail("learning run: exit %d: %s" % (r.returncode, r.stderr))
    with open(races) as f:
        lines = f.read().splitlines()
    pairs = [line for line in lines if line.startswith("race ")]
    if lines[0] != "# nmz native races 1" or len(pairs) < 2 or not all("exe+0x" in line for line in pairs):
        fail("the races file should list the two racing pairs of reorder (a, b):\n%s" % "\n".join(lines))
    r = runner.native(["-tsan", "-races", races, "-seed", "1"], [reorder])
    with open(races) as f:
        if f.read().splitlines() != lines:
            fail("a second run added pairs the file already had")
    steps = summary_count(r.stderr, "choice points")
    # With the file unchanged, a seed replays: same decisions, same outcome.
    first = os.path.join(work, "directed1.schedule")
    again = os.path.join(work, "directed2.schedule")
    for seed in range(1, 6):
        outcomes = [runner.native(race_directed(races, 3, steps)(seed) + ["-record", path], [reorder]).returncode
                    for path in (first, again)]
        if outcomes[0] != outcomes[1] or read_decisions(first) != read_decisions(again):
            fail("race-directed seed %d did not replay: exit %s, decisions %s then %s" %
                 (seed, outcomes, read_decisions(first)[1], read_decisions(again)[1]))
    sync_steps = summary_count(runner.native(["-seed", "1"], [reorder]).stderr, "choice points")
    seeds = range(1, 61)
    directed = failures(runner, race_directed(races, 3, steps), [reorder], seeds)
    sync_only = sum(failures(runner, lambda s: ["-policy", "pct", "-depth", str(depth), "-steps", sync_steps,
                                                "-seed", str(s)], [reorder], seeds) for depth in (2, 3))
    fixed = failures(runner, race_directed(races, 3, steps), [reorder, "--fixed"], seeds)
    print("reorder failures: race-directed pct d=3 (k=%s) %d/60, pct d=2 and d=3 at sync points only (k=%s) %d/120, "
          "fixed twin race-directed %d/60" % (steps, directed, sync_steps, sync_only, fixed))
    if sync_only != 0:
        fail("without memory points the setter's two writes cannot be split, yet %d runs failed" % sync_only)
    if directed < 6:
        fail("race-directed pct should find the reorder bug in at least 10%% of runs: %d/60" % directed)
    if fixed != 0:
        fail("%d false failures on the fixed twin" % fixed)
    # Busier code: a thousand harmless accesses around the race. With every
    # access a point, PCT's k is in the thousands and its change points miss
    # the two writes; race-directed, they are among a handful.
    stats = tsan_program("stats_publish")
    stats_races = os.path.join(work, "stats.races")
    runner.native(["-tsan", "-races", stats_races, "-seed", "1"], [stats])
    stats_steps = summary_count(runner.native(["-tsan", "-races", stats_races, "-seed", "1"], [stats]).stderr,
                                "choice points")
    all_steps = summary_count(runner.native(["-tsan", "-seed", "1"], [stats]).stderr, "choice points")
    stats_directed = failures(runner, race_directed(stats_races, 3, stats_steps), [stats], seeds)
    every_access = failures(runner, lambda s: ["-tsan", "-policy", "pct", "-depth", "3", "-steps", all_steps,
                                               "-seed", str(s)], [stats], seeds)
    print("stats_publish failures: race-directed pct d=3 (k=%s) %d/60, every access a point pct d=3 (k=%s) %d/60" %
          (stats_steps, stats_directed, all_steps, every_access))
    if stats_directed < 6 or stats_directed <= every_access:
        fail("race-directed pct should find the torn snapshot in at least 10%% of runs, and more often than with "
             "every access a point: %d/60 against %d/60" % (stats_directed, every_access))
    broken = os.path.join(work, "broken.races")
    write_file(broken, "# nmz native races 1\nrace exe+0x10 nowhere\n")
    expect_refused(runner.native(["-tsan", "-races", broken], [reorder]), ["-races", "broken.races:2"],
                   "a malformed races file")
    expect_refused(runner.native(["-races", races], [reorder]), ["-races", "-tsan"], "-races without -tsan")


def case_exit_replay(runner):
    """A program whose main returns while its worker still runs: the same
    seed, or the recorded schedule, ends the same way every time."""
    program = PROGRAMS["exit_use_after_free"]
    work = os.path.dirname(runner.config)
    outcomes = {}
    for seed in range(1, 41):
        record = os.path.join(work, "exit-%d.schedule" % seed)
        r = runner.native(["-policy", "random-walk", "-seed", str(seed), "-record", record], [program])
        outcomes.setdefault(r.returncode, seed)
    print("exit_use_after_free, random-walk seeds 1..40: exit statuses %s" % sorted(outcomes))
    if sorted(outcomes) != [0, 128 + 11]:
        fail("expected runs that pass (0) and runs that crash in the freed journal (139), got %s" % sorted(outcomes))
    for status, seed in sorted(outcomes.items()):
        recorded = os.path.join(work, "exit-%d.schedule" % seed)
        _, decisions = read_decisions(recorded)
        again = os.path.join(work, "again.schedule")
        for flags in (["-policy", "random-walk", "-seed", str(seed)], ["-replay", recorded]):
            for _ in range(5):
                r = runner.native(flags + ["-record", again], [program])
                if r.returncode != status or read_decisions(again)[1] != decisions:
                    fail("%s: exit %d (recorded %d), decisions %s (recorded %s)" %
                         (" ".join(flags), r.returncode, status, read_decisions(again)[1], decisions))
    if failures(runner, random_walk, [program, "--fixed"], range(1, 21)) != 0:
        fail("the fixed twin (main joins the writer) failed")


# Every bundled buggy program (name, arguments), with and without
# -fsanitize=thread.
SYNC_PROGRAMS = [(name, []) for name in
                 ("lost_update", "last_one_out", "philosophers", "lost_wakeup", "if_not_while", "exit_use_after_free")]
TSAN_PROGRAMS = [("racy_counter", []), ("racy_counter", ["6", "2"]), ("reorder", []), ("wrong_lock", []),
                 ("check_then_act", []), ("stats_publish", [])]


def case_fixed_twins(runner):
    """No fixed twin fails, under any method."""
    work = os.path.dirname(runner.config)
    methods = [["-policy", "pct", "-depth", "2", "-steps", "10"], ["-policy", "pct", "-depth", "3", "-steps", "30"],
               ["-policy", "random-walk"]]
    runs = 0
    for name, args in SYNC_PROGRAMS + TSAN_PROGRAMS:
        program = PROGRAMS.get(name)
        if program is None:
            continue  # -fsanitize=thread programs are not built in sanitizer builds
        command = [program, "--fixed"] + args
        program_methods = list(methods)
        if (name, args) in TSAN_PROGRAMS:
            races = os.path.join(work, "-".join([name] + args) + ".races")
            runner.native(["-tsan", "-races", races, "-seed", "1"], [program] + args)  # learn from the buggy one
            program_methods += [["-tsan", "-policy", "random-walk"], ["-tsan", "-races", races, "-policy", "random-walk"],
                                ["-tsan", "-races", races, "-policy", "pct", "-depth", "3", "-steps", "20"]]
        for flags in program_methods:
            for seed in range(1, 5):
                r = runner.native(flags + ["-seed", str(seed)], command)
                runs += 1
                if r.returncode != 0:
                    fail("%s failed under %s -seed %d: exit %d: %s" %
                         (" ".join(command), " ".join(flags), seed, r.returncode, r.stderr))
    print("%d runs of fixed twins, no failure" % runs)

CASES = {
    "loop": case_loop,
    "adaptive-k": case_adaptive_k,
    "race-directed": case_race_directed,
    "exit-replay": case_exit_replay,
    "fixed-twins": case_fixed_twins,
    "events": case_events,
    "tsan": case_tsan,
    "policies": case_policies,
    "steps-file": case_steps_file,
    "ordering": case_ordering,
    "deadlock": case_deadlock,
    "replay": case_replay,
    "cond-read": case_cond_read,
    "lock-heavy": case_lock_heavy,
    "exit-and-flags": case_exit_and_flags,
}

if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="nmz-native-test-") as workdir:
        CASES[CASE](Runner(workdir))
    print("ok")
