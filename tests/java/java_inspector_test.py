#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The java inspector end to end: real JVMs with the byteman agent, a real
nmz (orchestrator, PB endpoint, policies), real sockets.

  java_inspector_test.py SCENARIO     (see SCENARIOS below)

Needs NMZ_BIN, NMZ_BUILD_ROOT, NMZ_SOURCE_ROOT and NMZ_JAVA_TEST_PLUGIN_DIR
(the test policy); exits 77 when the java parts were not built."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import java_lib  # noqa: E402

NMZ = os.environ["NMZ_BIN"]
BUILD = os.environ["NMZ_BUILD_ROOT"]
SOURCE = os.environ["NMZ_SOURCE_ROOT"]
TEST_PLUGINS = os.environ["NMZ_JAVA_TEST_PLUGIN_DIR"]
JAVA = java_lib.require(BUILD)
TARGET_JAR = os.path.join(BUILD, "tests", "java", "java-target.jar")
RULES = os.path.join(SOURCE, "tests", "java", "target.btm")
TARGET = [JAVA, "-cp", TARGET_JAR, "nmz.test.JavaTarget"]


def fail(message):
    print("FAILED: " + message)
    sys.exit(1)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def run_inspected(config_text, threads, calls, lag_ms, extra_flags=(), timeout=60):
    """`nmz inspectors java -autopilot CONFIG -- java JavaTarget ...`: its stdout lines, stderr and exit status."""
    with tempfile.TemporaryDirectory(prefix="nmz-java-test-") as tmp:
        config = write(os.path.join(tmp, "config.toml"), config_text)
        proc = subprocess.run([NMZ, "inspectors", "java", "-autopilot", config, "-rules", RULES,
                               "-entity-id", "jvm1", *extra_flags, "--", *TARGET, str(threads), str(calls),
                               str(lag_ms)], capture_output=True, text=True, timeout=timeout)
    return proc.stdout.splitlines(), proc.stderr, proc.returncode


def order_policy(hold, until):
    return (f'explorePolicy = "test-java-order"\npluginPath = ["{TEST_PLUGINS}"]\n'
            f'[explorePolicyParam]\nholdThread = "{hold}"\nuntilThread = "{until}"\n')


def scenario_release_right_thread():
    """worker-0's first call is held until worker-1's (started 300 ms later) has passed: worker-1 runs while
    worker-0 waits, and the action for worker-0's event releases worker-0."""
    lines, err, rc = run_inspected(order_policy("worker-0", "worker-1"), 2, 2, 300)
    if rc != 0 or "done" not in lines:
        fail(f"the JVM did not finish (status {rc}):\n{err}")
    if lines.index("exit worker-1 0") > lines.index("exit worker-0 0"):
        fail("worker-0 was not held until worker-1's call passed: " + repr(lines))
    # The control: the opposite hold keeps the natural order, so the order above is nmz's doing.
    lines, err, rc = run_inspected(order_policy("worker-1", "worker-0"), 2, 2, 300)
    if rc != 0 or lines.index("exit worker-0 0") > lines.index("exit worker-1 0"):
        fail(f"holding worker-1 until worker-0 passed changed the order ({rc}): {lines}\n{err}")


def exit_order(lines):
    """The "exit NAME I" lines of JavaTarget, in the order the calls returned."""
    return [tuple(line.split()[1:]) for line in lines if line.startswith("exit ")]


MASK64 = (1 << 64) - 1


def fnv1a64(text, basis=0xcbf29ce484222325):
    for byte in text.encode():
        basis = ((basis ^ byte) * 0x100000001b3) & MASK64
    return basis


def replayable_finish_times(seed, threads, calls, max_interval_ms):
    """When each call returns under `replayable`: its hold is FNV-1a(FNV-1a(seed), replay_hint) mod maxInterval,
    and a thread's next call starts when its previous one returned."""
    seed_hash = fnv1a64(seed)
    times = {}
    for t in range(threads):
        at = 0
        for n in range(1, calls + 1):
            hint = f"JavaTarget.work@worker-{t}#{n}"
            at += fnv1a64(hint, seed_hash) % (max_interval_ms * 1_000_000) / 1e6
            times[(f"worker-{t}", str(n - 1))] = at
    return times


def well_separated_seeds(threads, calls, max_interval_ms, gap_ms):
    """Seeds whose calls finish at least gap_ms apart (so the JVM's own scheduling cannot swap two), keyed by the
    order they predict."""
    found = {}
    for i in range(20000):
        seed = f"java-replay-{i}"
        times = replayable_finish_times(seed, threads, calls, max_interval_ms)
        ordered = sorted(times.values())
        if min(b - a for a, b in zip(ordered, ordered[1:])) >= gap_ms and ordered[0] >= gap_ms:
            found.setdefault(tuple(sorted(times, key=times.get)), seed)
        if len(found) >= 2:
            break
    return found


def scenario_replayable_order():
    """`replayable` orders Java calls by their replay_hint (function, thread name, call count): with a seed, each
    call is held for a hash of its hint, so three threads' calls return in the order the hashes predict, the same
    in every run with that seed, and in another predicted order with another seed."""
    threads, calls, max_interval_ms = 3, 2, 3000
    seeds = well_separated_seeds(threads, calls, max_interval_ms, gap_ms=400)
    if len(seeds) < 2:
        fail(f"no two seeds with well-separated calls: {seeds}")
    config = f'explorePolicy = "replayable"\n[explorePolicyParam]\nmaxInterval = "{max_interval_ms}ms"\n'
    for expected, seed in seeds.items():
        for attempt in (1, 2):
            lines, err, rc = run_inspected(f'seed = "{seed}"\n' + config, threads, calls, 0)
            if rc != 0 or "done" not in lines:
                fail(f"the JVM did not finish (status {rc}):\n{err}")
            if tuple(exit_order(lines)) != expected:
                fail(f"seed {seed}, run {attempt}: calls returned in the order {exit_order(lines)}, "
                     f"the hints' hashes predict {list(expected)}")
        print(f"seed {seed}: {' '.join(t + '#' + n for t, n in expected)} in both runs")


def splitmix64(state):
    state = (state + 0x9e3779b97f4a7c15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK64
    return state, z ^ (z >> 31)


def pct_first_stream(seed):
    """Which of two streams PCT (depth 1) releases first: the one with the higher priority, drawn per stream in
    the order the streams appeared from the seed's splitmix64 sequence (plugins/native/preload/choice_policy)."""
    state, first = splitmix64(seed)
    _, second = splitmix64(state)
    return 0 if first >> 2 >= second >> 2 else 1


def scenario_pct_order():
    """`pct` with Java threads: each thread is a stream; worker-0 calls first and worker-1 a second later, and
    PCT (depth 1: no change points) releases all calls of the thread with the higher priority before any of the
    other's. With a seed that favours worker-1, worker-0's call is held until both of worker-1's have passed;
    with one that favours worker-0, the natural order stays; each seed gives its order in every run."""
    seeds = {}
    for seed in range(1, 100):
        seeds.setdefault(pct_first_stream(seed), seed)
    config = 'explorePolicy = "pct"\n[explorePolicyParam]\ndepth = 1\ninterval = "1500ms"\n'
    for first, seed in sorted(seeds.items(), reverse=True):
        expected = [(f"worker-{first}", "0"), (f"worker-{first}", "1"), (f"worker-{1 - first}", "0"),
                    (f"worker-{1 - first}", "1")]
        for attempt in (1, 2):
            lines, err, rc = run_inspected(f"seed = {seed}\n" + config, 2, 2, 1000)
            if rc != 0 or "done" not in lines:
                fail(f"the JVM did not finish (status {rc}):\n{err}")
            if exit_order(lines) != expected:
                fail(f"pct seed {seed}, run {attempt}: calls returned in the order {exit_order(lines)}, "
                     f"expected {expected}")
        print(f"pct seed {seed}: worker-{first} first in both runs")


def scenario_fault():
    """A fault action makes the rule throw its exception in the target method."""
    config = ('explorePolicy = "random"\n[explorePolicyParam]\nmaxInterval = "0ms"\n'
              'faultActionProbability = 1.0\n')
    lines, err, rc = run_inspected(config, 2, 2, 0)
    faults = [line for line in lines if line.startswith("fault ")]
    if rc != 0 or len(faults) != 4 or any("nmz fault in work" not in f for f in faults):
        fail(f"expected 4 faults thrown by the rule, got {faults} (status {rc}):\n{err}")
    lines, err, rc = run_inspected(config.replace("1.0", "0.0"), 2, 2, 0)
    if rc != 0 or any(line.startswith("fault ") for line in lines) or len(lines) != 9:
        fail(f"without faults every call should exit normally: {lines}\n{err}")


def traced_java_events(rules, env_lines=""):
    """`nmz run` with pbPort and restPort at once: run.sh starts JavaTarget (2 threads, 2 calls) with the agent
    options `-print-agent-options` prints for `rules` (after `env_lines`, shell exports), checks that REST answers
    meanwhile; returns the JavaFunctionEvents of the run's trace."""
    with tempfile.TemporaryDirectory(prefix="nmz-java-test-") as tmp:
        materials = os.path.join(tmp, "materials")
        os.makedirs(materials)
        write(os.path.join(materials, "run.sh"), f"""#!/bin/sh
set -e
{env_lines}
JAVA_TOOL_OPTIONS="$("$NMZ_BIN" inspectors java -print-agent-options -rules {rules} -entity-id jvm1)" \\
  {' '.join(TARGET)} 2 2 0 > "$NMZ_WORKING_DIR/jvm.out"
python3 -c 'import socket,os; s=socket.create_connection(("127.0.0.1", int(os.environ["NMZ_REST_PORT"]))); \\
s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n"); assert b"200" in s.recv(100).split(b"\\r\\n")[0]'
""")
        os.chmod(os.path.join(materials, "run.sh"), 0o755)
        config = write(os.path.join(tmp, "config.toml"),
                       'run = "run.sh"\npbPort = 0\nrestPort = 0\nexplorePolicy = "dumb"\n')
        storage = os.path.join(tmp, "storage")
        subprocess.run([NMZ, "init", config, materials, storage], check=True, capture_output=True)
        proc = subprocess.run([NMZ, "run", storage], capture_output=True, text=True, timeout=120)
        runs = sorted(d for d in os.listdir(storage) if d.isdigit() or d.startswith("0"))
        if proc.returncode != 0 or not runs:
            fail(f"nmz run failed ({proc.returncode}):\n{proc.stderr}")
        run_dir = os.path.join(storage, runs[-1])
        with open(os.path.join(run_dir, "result.json")) as f:
            result = json.load(f)
        if result.get("status") != "success" and result.get("successful") is not True:
            fail(f"run not successful: {result}\n{proc.stderr}")
        events = []
        with open(os.path.join(run_dir, "trace.jsonl")) as f:
            for line in f:
                record = json.loads(line)
                event = record.get("event", {})
                if event.get("class") == "JavaFunctionEvent":
                    events.append(event)
        return events


def scenario_run_trace():
    """The trace of `nmz run` holds the JavaFunctionEvents of a JVM that run.sh started, with their fields."""
    events = traced_java_events(RULES)
    if len(events) != 4:
        fail(f"expected 4 JavaFunctionEvents in the trace, got {len(events)}")
    for event in events:
        option = event["option"]
        thread = option["thread_name"]
        if (event["entity"] != "jvm1" or not event["deferred"] or option["function_name"] != "JavaTarget.work"
                or option["function_event_type"] != "call" or thread not in ("worker-0", "worker-1")
                or option["params"].get("$1") != thread or option["params"].get("$2") not in ("0", "1")
                or not option["stack"][0].startswith("nmz.test.JavaTarget.work(JavaTarget.java:")
                or not event["replay_hint"].startswith(f"JavaTarget.work@{thread}#")):
            fail("an event with wrong fields: " + json.dumps(event))
    hints = sorted(e["replay_hint"] for e in events)
    if hints != sorted(f"JavaTarget.work@worker-{t}#{n}" for t in (0, 1) for n in (1, 2)):
        fail(f"replay hints {hints}")


def scenario_namazu_helper():
    """A rule file written for Namazu's inspector (HELPER net.osrg.namazu.PBEQHelper, eventFuncCall with an
    argMap and a class filter, eventFuncReturn with a class that is not on the stack), run as Namazu ran it
    (NMZ_NO_INITIATION): the calls arrive with their argMap, the filtered returns do not."""
    events = traced_java_events(os.path.join(SOURCE, "tests", "java", "namazu_rules.btm"),
                                "export NMZ_NO_INITIATION=1")
    got = sorted((e["option"]["function_event_type"], e["option"]["thread_name"], json.dumps(e["option"]["params"]))
                 for e in events)
    want = sorted(("call", f"worker-{t}", json.dumps({"thread": f"worker-{t}"})) for t in (0, 1) for _ in (1, 2))
    if got != want:
        fail(f"events {got}, expected {want}")


def start_orchestrator(tmp, policy_lines):
    config = write(os.path.join(tmp, "config.toml"),
                   f'pbPort = 0\nrestPort = 0\n{policy_lines}\n')
    proc = subprocess.Popen([NMZ, "orchestrator", config], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    lines = []
    java_lib.start_reader(proc.stderr, lines)
    match = java_lib.wait_for_line(lines, r"PB endpoint .* on 127\.0\.0\.1:(\d+)", 20)
    if match is None:
        proc.kill()
        fail("the orchestrator did not start its PB endpoint:\n" + "\n".join(lines))
    return proc, int(match.group(1)), lines


def scenario_orchestrator_killed():
    """Four threads held by the policy (an hour each) are all released when the orchestrator is killed, long
    before their call timeout."""
    with tempfile.TemporaryDirectory(prefix="nmz-java-test-") as tmp:
        orchestrator, port, _ = start_orchestrator(
            tmp, 'explorePolicy = "random"\n[explorePolicyParam]\nminInterval = "1h"\nmaxInterval = "1h"')
        jvm = None
        try:
            options = java_lib.agent_options(NMZ, RULES, "jvm1", port, ["-call-timeout", "10m"])
            jvm = subprocess.Popen(TARGET + ["4", "1", "0"], env={**os.environ, "JAVA_TOOL_OPTIONS": options},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            out = []
            java_lib.start_reader(jvm.stdout, out)
            for t in range(4):
                if java_lib.wait_for_line(out, f"^enter worker-{t} 0$", 30) is None:
                    fail(f"worker-{t} never called: {out}")
            if java_lib.wait_for_line(out, "^exit ", 1.0) is not None:
                fail(f"a call was not held by the policy: {out}")
            killed = time.monotonic()
            os.killpg(orchestrator.pid, signal.SIGKILL)
            orchestrator.wait()
            try:
                jvm.wait(timeout=30)
            except subprocess.TimeoutExpired:
                fail(f"the JVM still hangs 30 s after the orchestrator died: {out}")
            took = time.monotonic() - killed
            exits = [line for line in out if line.startswith("exit ")]
            if jvm.returncode != 0 or len(exits) != 4:
                fail(f"expected 4 released calls, got {exits} (status {jvm.returncode})")
            print(f"all 4 threads released {took:.2f} s after the orchestrator was killed (call timeout 10 min)")
        finally:
            if orchestrator.poll() is None:
                os.killpg(orchestrator.pid, signal.SIGKILL)
                orchestrator.wait()
            if jvm is not None and jvm.poll() is None:
                jvm.kill()
                jvm.wait()


def scenario_bad_frames():
    """The orchestrator's PB endpoint closes a connection that sends an oversized frame, garbage, an unknown
    type or a second entity, logs why, and keeps serving others."""
    with tempfile.TemporaryDirectory(prefix="nmz-java-test-") as tmp:
        orchestrator, port, log = start_orchestrator(tmp, 'explorePolicy = "dumb"')
        try:
            def closed_after(payload, log_pattern, answered=0):
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    s.sendall(payload)
                    # The good requests before the bad one are answered first.
                    for _ in range(answered):
                        if java_lib.read_response(s) is None:
                            fail("a good request before the bad one was not answered")
                    if java_lib.read_response(s) is not None:
                        fail(f"the connection was not closed after {payload[:16]!r}")
                if java_lib.wait_for_line(log, log_pattern, 10) is None:
                    fail(f"no log line matching {log_pattern!r}:\n" + "\n".join(log))

            closed_after(b"\xff\xff\xff\x7f", r"more than the limit")
            closed_after(java_lib.frame(b"\xff\xff\xff"), r"malformed InspectorMsgReq")
            unknown = java_lib.call_request("e", 1).replace(b"\x10\x01", b"\x10\x09", 1)
            closed_after(java_lib.frame(unknown), r"unknown type 9")
            closed_after(java_lib.frame(java_lib.call_request("a", 1)) + java_lib.frame(java_lib.call_request("b", 2)),
                         r'entity "b" on a connection bound to "a"', answered=1)
            # Still up: a good event is answered with its msg_id.
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(java_lib.frame(java_lib.call_request("c", 77)))
                if java_lib.read_response(s) != (1, 77):
                    fail("a good event after the bad ones got no ACK")
            if orchestrator.poll() is not None:
                fail("the orchestrator died")
        finally:
            os.killpg(orchestrator.pid, signal.SIGTERM)
            orchestrator.wait(timeout=30)


def scenario_no_orchestrator():
    """A JVM whose orchestrator is not there runs on (fail open)."""
    options = java_lib.agent_options(NMZ, RULES, "jvm1", java_lib.free_port())
    proc = subprocess.run(TARGET + ["2", "2", "0"], env={**os.environ, "JAVA_TOOL_OPTIONS": options},
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 or "done" not in proc.stdout.splitlines() or "cannot reach nmz" not in proc.stderr:
        fail(f"the JVM did not run on without nmz ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def scenario_cli():
    """-h lists the flags; bad flags are named; `nmz plugins list` shows the inspector."""
    proc = subprocess.run([NMZ, "inspectors", "java", "-h"], capture_output=True, text=True)
    for flag in ("-rules", "-print-agent-options", "-pb-port", "-call-timeout"):
        if flag not in proc.stdout + proc.stderr:
            fail(f"-h does not list {flag}:\n{proc.stdout}{proc.stderr}")
    proc = subprocess.run([NMZ, "inspectors", "java", "-rules", "/nonexistent.btm", "--", "true"],
                          capture_output=True, text=True)
    if proc.returncode != 2 or 'cannot read "/nonexistent.btm"' not in proc.stderr:
        fail(f"a missing rule file: {proc.returncode} {proc.stderr}")
    proc = subprocess.run([NMZ, "plugins", "list"], capture_output=True, text=True)
    if "java" not in proc.stdout:
        fail("nmz plugins list does not show java:\n" + proc.stdout)



def scenario_print_agent_options():
    """-print-agent-options only prints: no orchestrator (so nothing logged), no port bound, even when the
    -autopilot config asks for REST and PB ports (here ones this test holds, so binding them would fail)."""
    with tempfile.TemporaryDirectory(prefix="nmz-java-test-") as tmp, socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        config = write(os.path.join(tmp, "config.toml"), f'restPort = {port}\npbPort = {port}\nexplorePolicy = "dumb"\n')
        proc = subprocess.run([NMZ, "inspectors", "java", "-autopilot", config, "-print-agent-options", "-rules", RULES,
                               "-entity-id", "zk1", "-pb-port", "12345"], capture_output=True, text=True, timeout=60)
        lines = proc.stdout.splitlines()
        if proc.returncode != 0 or proc.stderr or len(lines) != 1:
            fail(f"-print-agent-options: exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}")
        for part in ("-javaagent:", "script:" + RULES, "-Dnmz.pb.port=12345", "-Dnmz.entity=zk1"):
            if part not in lines[0]:
                fail(f"-print-agent-options printed no {part}: {lines[0]}")


SCENARIOS = {name[len("scenario_"):]: f for name, f in globals().items() if name.startswith("scenario_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: java_inspector_test.py {'|'.join(SCENARIOS)}")
    SCENARIOS[sys.argv[1]]()
    print("ok")
