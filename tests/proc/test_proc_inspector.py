#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `nmz inspectors proc` against real threads and the
real sched_setattr(2). Usage: test_proc_inspector.py CASE (see CASES)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NMZ = os.environ["NMZ_BIN"]
PROBE = os.environ["SCHED_PROBE"]
TEST_PLUGIN_DIR = os.environ["FIXEDSCHED_DIR"]
SCHED_OTHER, SCHED_RR, SCHED_BATCH = 0, 2, 3
ALL_CPUS = os.sched_getaffinity(0)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Env:
    """A temp dir for configs and outputs; processes started here are killed at the end."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nmz-proc-test-")
        self.procs = []
        # The restore records of the nmz this test starts are its own: in the
        # machine-wide /run/nmz (or <temp>/nmz-restore for a user who cannot
        # write /run) another nmz starting meanwhile would apply them.
        restore = os.path.join(self.dir, "restore")
        os.mkdir(restore)
        os.chmod(restore, 0o1777)  # case_no_permission's nmz runs as nobody
        self.environ = dict(os.environ, NMZ_PLUGIN_PATH=TEST_PLUGIN_DIR, NMZ_RESTORE_DIR=restore)

    def config(self, text, name="config.toml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def fixed(self, **params):
        lines = ['explorePolicy = "fixedsched"', "[explorePolicyParam]"]
        for key, value in params.items():
            lines.append(f"{key} = {value!r}".replace("'", '"'))
        return self.config("\n".join(lines) + "\n", "fixed.toml")

    def start(self, args, env=None, **kwargs):
        env = env or self.environ
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **kwargs)
        self.procs.append(p)
        return p

    def start_logging(self, args):
        """Starts `args` with stderr in a file, so that a test can wait for a
        line while the process runs; returns the process and a reader."""
        path = os.path.join(self.dir, f"stderr-{len(self.procs)}.log")
        with open(path, "w") as err:
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, text=True, env=self.environ)
        self.procs.append(p)
        return p, lambda: open(path).read()

    def nmz(self, *args, timeout=60):
        p = self.start([NMZ, "inspectors", "proc", *args])
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                for sig in (signal.SIGCONT, signal.SIGKILL):
                    try:
                        p.send_signal(sig)
                    except ProcessLookupError:
                        pass
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def tids_of(pid):
    return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))


def sched_of(tid):
    return os.sched_getscheduler(tid), os.getpriority(os.PRIO_PROCESS, tid), os.sched_getaffinity(tid)


def state_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def wait_until(predicate, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.005)
    raise Failure(f"timed out after {seconds}s waiting for {what}")


def start_holder(env, seconds=60, threads=3):
    holder = env.start([PROBE, "hold", str(seconds), str(threads)])
    check(holder.stdout.readline().strip() == "ready", "sched_probe hold did not start")
    return holder


def all_threads(pid, predicate):
    return all(predicate(sched_of(t)) for t in tids_of(pid))


# --- cases -------------------------------------------------------------------

def case_births(env):
    """Threads and a process created 300 ms after start, with a 10 s watch
    interval (so no tick can explain it), each get the policy's decision."""
    config = env.fixed(schedPolicy=SCHED_BATCH, nice=7)
    code, out, err = env.nmz("-autopilot", config, "-watch-interval", "10s", "--",
                             PROBE, "births", "6", "300", str(SCHED_BATCH), "7", "200")
    sys.stdout.write(out)
    check(code == 0, f"sched_probe births failed ({code}):\n{err}")
    check("for births" in err and not re.search(r"\(0 for births\)", err), f"no birth events sent:\n{err}")


def case_first_instruction(env):
    """A command runs its first instruction with the first decision applied:
    it is held before exec until then."""
    config = env.fixed(schedPolicy=SCHED_BATCH, nice=11)
    for _ in range(5):
        code, _, err = env.nmz("-autopilot", config, "--", PROBE, "first", str(SCHED_BATCH), "11")
        check(code == 0, f"first decision not applied before exec:\n{err}")


def case_restore_on_sigterm(env):
    """-pid mode: SIGTERM to nmz puts the surviving threads back (policy,
    nice and affinity)."""
    holder = start_holder(env)
    before = {t: sched_of(t) for t in tids_of(holder.pid)}
    check(all(s[0] == SCHED_OTHER and s[1] == 0 for s in before.values()), f"unexpected start state {before}")
    config = env.fixed(schedPolicy=SCHED_BATCH, nice=5, cpus="0")
    nmz = env.start([NMZ, "inspectors", "proc", "-autopilot", config, "-watch-interval", "20ms",
                     "-pid", str(holder.pid)])
    wait_until(lambda: all_threads(holder.pid, lambda s: s == (SCHED_BATCH, 5, {0})), 10,
               "all threads to get SCHED_BATCH nice 5 on CPU 0")
    nmz.send_signal(signal.SIGTERM)
    _, err = nmz.communicate(timeout=30)
    check(nmz.returncode == 0, f"nmz exited {nmz.returncode}:\n{err}")
    check(holder.poll() is None, "the target did not survive")
    after = {t: sched_of(t) for t in tids_of(holder.pid)}
    check(after == before, f"not restored: before {before}, after {after}\n{err}")


def case_restore_after_sigkill(env):
    """-pid mode: nmz SIGKILLed leaves the threads SCHED_RR on one CPU;
    `nmz tools cleanup` (its restore record) puts them back."""
    holder = start_holder(env)
    before = {t: sched_of(t) for t in tids_of(holder.pid)}
    config = env.fixed(schedPolicy=SCHED_RR, priority=1, cpus="0")
    nmz = env.start([NMZ, "inspectors", "proc", "-autopilot", config, "-watch-interval", "20ms",
                     "-pid", str(holder.pid)])
    wait_until(lambda: all_threads(holder.pid, lambda s: s[0] == SCHED_RR and s[2] == {0}), 10,
               "all threads to get SCHED_RR on CPU 0")
    nmz.kill()
    nmz.wait()
    check(all_threads(holder.pid, lambda s: s[0] == SCHED_RR), "SIGKILL restored the threads (test premise)")
    cleanup = subprocess.run([NMZ, "tools", "cleanup"], capture_output=True, text=True, env=env.environ, timeout=60)
    check(cleanup.returncode == 0, f"nmz tools cleanup failed:\n{cleanup.stdout}{cleanup.stderr}")
    after = {t: sched_of(t) for t in tids_of(holder.pid)}
    check(after == before, f"not restored: before {before}, after {after}\n{cleanup.stdout}{cleanup.stderr}")


def case_restore_on_target_exit(env):
    """-- CMD mode: when the command exits, a grandchild that outlives it
    gets its original attributes back."""
    config = env.fixed(schedPolicy=SCHED_BATCH, nice=9, cpus="1" if len(ALL_CPUS) > 1 else "0")
    nmz = env.start([NMZ, "inspectors", "proc", "-autopilot", config, "-watch-interval", "20ms", "--",
                     PROBE, "orphan", "30"])
    grandchild = int(nmz.stdout.readline())
    try:
        _, err = nmz.communicate(timeout=30)
        check(nmz.returncode == 0, f"nmz exited {nmz.returncode}:\n{err}")
        states = {t: sched_of(t) for t in tids_of(grandchild)}
        check(len(states) == 3, f"grandchild should have 3 threads: {states}")
        check(all(s == (SCHED_OTHER, 0, ALL_CPUS) for s in states.values()), f"not restored: {states}\n{err}")
    finally:
        os.kill(grandchild, signal.SIGKILL)


def case_pid_root_exit(env):
    """-pid mode ends when the root process exits, with status 0."""
    holder = start_holder(env, seconds=1, threads=2)
    config = env.fixed(schedPolicy=SCHED_BATCH, nice=4)
    code, _, err = env.nmz("-autopilot", config, "-watch-interval", "10ms", "-pid", str(holder.pid), timeout=30)
    check(code == 0, f"nmz exited {code}:\n{err}")
    check("scheduler attributes restored" in err, f"no final summary:\n{err}")


def case_exit_status(env):
    """The command's exit status is nmz's; a signal becomes 128+n."""
    config = env.config('explorePolicy = "dumb"\n')
    for script, expected in (("exit 0", 0), ("exit 7", 7), ("kill -USR1 $$", 128 + signal.SIGUSR1)):
        code, _, err = env.nmz("-autopilot", config, "--", "sh", "-c", script)
        check(code == expected, f"sh -c {script!r}: expected {expected}, got {code}:\n{err}")
    out_file = os.path.join(env.dir, "out.txt")
    with open(out_file, "w") as f:
        f.write("kept\n")
    code, _, err = env.nmz("-autopilot", config, "-stdout", out_file, "-cmd", "sh -c echo")
    with open(out_file) as f:
        check(code == 0 and f.read() == "kept\n\n", f"-stdout must append (code {code}):\n{err}")


def case_loop(env):
    """-n: one nmz runs the command N times; counts, -until-failure and the exit status."""
    config = env.config('explorePolicy = "dumb"\n')
    counter = os.path.join(env.dir, "count")
    # Each run appends a line; the third run fails.
    script = f'echo x >> {counter}; test $(wc -l < {counter}) -ne 3'
    code, out, err = env.nmz("-autopilot", config, "-n", "6", "-watch-interval", "10ms", "--", "sh", "-c", script)
    check(code == 1 and "proc loop: 6 runs, 1/6 failed" in out and "first failure: run 3, exit status 1" in out,
          f"6 runs, the third failing: exit {code}\n{out}\n{err}")
    os.remove(counter)
    code, out, err = env.nmz("-autopilot", config, "-n", "6", "-until-failure", "-watch-interval", "10ms", "--",
                             "sh", "-c", script)
    with open(counter) as f:
        started = len(f.readlines())
    check(code == 1 and "proc loop: 3 runs, 1/3 failed" in out and started == 3,
          f"-until-failure: expected a stop after run 3 of 6 ({started} started), exit {code}\n{out}\n{err}")
    code, out, err = env.nmz("-autopilot", config, "-n", "4", "-watch-interval", "10ms", "--", "true")
    check(code == 0 and "proc loop: 4 runs, 0/4 failed" in out, f"4 passing runs: exit {code}\n{out}\n{err}")
    for flags, needle in ((["-n", "0"], "-n"), (["-until-failure"], "-until-failure"), (["-n", "2", "-pid", "1"], "-pid")):
        code, _, err = env.nmz("-autopilot", config, *flags, *([] if "-pid" in flags else ["--", "true"]))
        check(code == 2 and needle in err, f"{flags}: expected exit 2 naming {needle}, got {code}: {err}")


def case_sigterm_forwarded(env):
    """SIGTERM to nmz in -- CMD mode ends the command too; nmz returns its status."""
    config = env.config('explorePolicy = "dumb"\n')
    nmz = env.start([NMZ, "inspectors", "proc", "-autopilot", config, "--", PROBE, "hold", "60", "1"])
    check(nmz.stdout.readline().strip() == "ready", "target did not start")
    nmz.send_signal(signal.SIGTERM)
    _, err = nmz.communicate(timeout=30)
    check(nmz.returncode == 128 + signal.SIGTERM, f"expected {128 + signal.SIGTERM}, got {nmz.returncode}:\n{err}")


def available_policies():
    out = subprocess.run([NMZ, "plugins", "list"], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines()[1:] if " policy " in line}


def case_policies_do_not_hang(env):
    """dumb and replayable never answer ProcSetEvents with anything the
    inspector waits for: it must keep going (Namazu hung). random with each
    procPolicy must change the threads and still let the command finish."""
    policies = available_policies()
    check("dumb" in policies, f"dumb policy not found: {policies}")
    configs = [("dumb", 'explorePolicy = "dumb"\n')]
    if "replayable" in policies:
        configs.append(("replayable", 'explorePolicy = "replayable"\n'))
    if "random" in policies:
        for proc_policy in ("mild", "extreme", "dirichlet"):
            configs.append((f"random/{proc_policy}", 'explorePolicy = "random"\n[explorePolicyParam]\n'
                            f'procPolicy = "{proc_policy}"\n'))
    for name, text in configs:
        config = env.config(text, "policy.toml")
        start = time.monotonic()
        code, _, err = env.nmz("-autopilot", config, "-watch-interval", "1ms", "--", PROBE, "spin", "300",
                               timeout=60)
        check(code == 0, f"{name}: exit {code}:\n{err}")
        check("scheduler attributes restored" in err, f"{name}: no final summary:\n{err}")
        events = int(re.search(r"sent (\d+) ProcSetEvents", err).group(1))
        check(events >= 20, f"{name}: only {events} events in 300 ms at a 1 ms interval (blocked?):\n{err}")
        if name.startswith("random"):
            applied = int(re.search(r"applied (\d+) thread decisions", err).group(1))
            check(applied > 0, f"{name}: no decision applied:\n{err}")
        print(f"{name}: {events} events in {time.monotonic() - start:.2f}s")


def case_pause(env):
    """A pause stops the whole process (state T) and it is continued when
    nmz stops, even in the middle of the pause."""
    holder = start_holder(env)
    config = env.fixed(schedPolicy=SCHED_OTHER, nice=0, pause="5s", pauseEvery=1)
    nmz = env.start([NMZ, "inspectors", "proc", "-autopilot", config, "-watch-interval", "10s",
                     "-pid", str(holder.pid)])
    wait_until(lambda: state_of(holder.pid) == "T", 10, "the target to be stopped")
    nmz.send_signal(signal.SIGTERM)
    _, err = nmz.communicate(timeout=30)
    check(nmz.returncode == 0, f"nmz exited {nmz.returncode}:\n{err}")
    check(state_of(holder.pid) != "T", f"target left stopped:\n{err}")
    check("1 pauses" in err, f"pause not counted:\n{err}")


def case_pause_short(env):
    """Short pauses end on their own while inspection goes on."""
    holder = start_holder(env)
    config = env.fixed(schedPolicy=SCHED_OTHER, nice=0, pause="100ms", pauseEvery=1)
    nmz = env.start([NMZ, "inspectors", "proc", "-autopilot", config, "-watch-interval", "10s",
                     "-pid", str(holder.pid)])
    wait_until(lambda: state_of(holder.pid) == "T", 10, "the target to be stopped")
    wait_until(lambda: state_of(holder.pid) != "T", 5, "the pause to end")
    check(nmz.poll() is None, "nmz stopped early")
    nmz.send_signal(signal.SIGINT)
    nmz.communicate(timeout=30)


def case_guardian(env):
    """If nmz is killed (no cleanup at all) during a pause, the target is
    continued anyway."""
    holder = start_holder(env)
    config = env.fixed(schedPolicy=SCHED_OTHER, nice=0, pause="60s", pauseEvery=1)
    nmz = env.start([NMZ, "inspectors", "proc", "-autopilot", config, "-watch-interval", "10s",
                     "-pid", str(holder.pid)])
    wait_until(lambda: state_of(holder.pid) == "T", 10, "the target to be stopped")
    nmz.kill()
    nmz.wait()
    wait_until(lambda: state_of(holder.pid) != "T", 5, "the guardian to continue the target")


def case_errors_reported_once(env):
    """EINVAL (SCHED_RR priority 0) is reported once, with the thread and the
    attributes, however many ticks fail."""
    holder = start_holder(env)
    config = env.fixed(schedPolicy=2, priority=0)
    nmz, stderr = env.start_logging([NMZ, "inspectors", "proc", "-autopilot", config, "-watch-interval", "2ms",
                                     "-pid", str(holder.pid)])
    wait_until(lambda: "sched_setattr(tid" in stderr(), 30, "the first EINVAL report")
    # Once reported, the failure repeats every tick (2 ms) without a new
    # report; the count printed at exit must show more than the first one.
    # Not a readiness wait: the ticks are only counted at exit, and 0.2 s is
    # 100 ticks where the check needs 2.
    time.sleep(0.2)
    nmz.send_signal(signal.SIGTERM)
    nmz.wait(timeout=30)
    err = stderr()
    reports = [line for line in err.splitlines() if "sched_setattr(tid" in line]
    check(len(reports) == 1, f"expected one report, got {len(reports)}:\n{err}")
    check("SCHED_RR priority 0" in reports[0] and "EINVAL" in reports[0], f"report lacks details: {reports[0]}")
    count = int(re.search(r"sched_setattr EINVAL x(\d+)", err).group(1))
    check(count > 1, f"failures not counted: {count}\n{err}")


def case_deadline_admission(env):
    """SCHED_DEADLINE beyond the machine's bandwidth: EBUSY said once,
    inspection goes on, everything restored."""
    holder = start_holder(env, threads=2 * len(ALL_CPUS) + 2)
    config = env.fixed(schedPolicy=6, runtime="900us", deadline="1ms", period="1ms")
    nmz, stderr = env.start_logging([NMZ, "inspectors", "proc", "-autopilot", config, "-watch-interval", "20ms",
                                     "-pid", str(holder.pid)])
    wait_until(lambda: "EBUSY" in stderr() or nmz.poll() is not None, 30, "the EBUSY report")
    check(nmz.poll() is None, "nmz stopped early")
    nmz.send_signal(signal.SIGTERM)
    nmz.wait(timeout=30)
    err = stderr()
    check(nmz.returncode == 0, f"nmz exited {nmz.returncode}:\n{err}")
    busy = [line for line in err.splitlines() if "EBUSY" in line and "sched_setattr(tid" in line]
    check(len(busy) == 1 and "admission control" in busy[0], f"expected one EBUSY report:\n{err}")
    check(all_threads(holder.pid, lambda s: s == (SCHED_OTHER, 0, ALL_CPUS)), "not restored")


def case_no_permission(env):
    """Without CAP_SYS_NICE (user nobody against a root process): EPERM
    said once with the reason, and nothing changed."""
    holder = start_holder(env)
    config = env.fixed(schedPolicy=SCHED_BATCH, nice=3)
    os.chmod(env.dir, 0o755)
    os.chmod(config, 0o644)
    # CAP_DAC_READ_SEARCH only lets nobody reach a build tree under a 0700
    # directory (a CI checkout in mktemp -d); it is not CAP_SYS_NICE.
    nmz, stderr = env.start_logging(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                     "--inh-caps=-all,+dac_read_search", "--ambient-caps=+dac_read_search",
                                     "--bounding-set=-all,+dac_read_search", NMZ, "inspectors", "proc",
                                     "-autopilot", config, "-watch-interval", "5ms", "-pid", str(holder.pid)])
    # The first decision must have been tried before the SIGTERM.
    wait_until(lambda: "EPERM" in stderr() or nmz.poll() is not None, 30, "the EPERM report")
    nmz.send_signal(signal.SIGTERM)
    nmz.wait(timeout=30)
    err = stderr()
    reports = [line for line in err.splitlines() if "EPERM" in line and "sched_setattr(tid" in line]
    check(len(reports) == 1 and "CAP_SYS_NICE" in reports[0], f"expected one EPERM report:\n{err}")
    check("applied 0 thread decisions" in err, f"EPERM counted as applied:\n{err}")
    check(all_threads(holder.pid, lambda s: s[:2] == (SCHED_OTHER, 0)), "threads changed without permission?")


def case_bad_input(env):
    """Each bad invocation: exit 2 and a message naming the problem."""
    dumb = env.config('explorePolicy = "dumb"\n')
    cases = [
        ([], "nothing to inspect"),
        (["-pid", "0"], "flag -pid: expected a positive process id"),
        (["-pid", "2147483000"], "no process 2147483000"),
        (["-pid", "abc"], "flag -pid"),
        (["--"], "nothing after --"),
        (["--", "/nonexistent/program"], "cannot run \"/nonexistent/program\": No such file or directory"),
        (["--", "no-such-program-nmz"], "not found in PATH"),
        (["-cmd", "true", "--", "true"], "either with -cmd or after --"),
        (["-pid", str(os.getpid()), "--", "true"], "cannot set both -pid and a command"),
        (["-pid", str(os.getpid()), "-stdout", "x"], "-stdout and -stderr apply to a command"),
        (["-watch-interval", "100us", "--", "true"], "expected at least 1ms"),
        (["-watch-interval", "fast", "--", "true"], "flag -watch-interval"),
        (["-no-such-flag", "--", "true"], "no-such-flag"),
        (["-stdout", "/nonexistent/dir/out", "--", "true"], "cannot open \"/nonexistent/dir/out\""),
    ]
    for args, expected in cases:
        code, _, err = env.nmz("-autopilot", dumb, *args, timeout=30)
        check(code != 0 and expected in err, f"{args}: expected non-zero and {expected!r}, got {code}:\n{err}")


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f"usage: {sys.argv[0]} {'|'.join(CASES)}", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("needs root (sched_setattr, netlink process events)")
        return 77
    # meson's timeout sends SIGTERM: leave through env.close(), which kills
    # the nmz processes this case started, instead of orphaning them.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = Env()
    try:
        CASES[sys.argv[1]](env)
    except Failure as e:
        print(f"FAIL {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    finally:
        env.close()
    print(f"ok {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
