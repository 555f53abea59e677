#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/java: the java inspector's cost and effect, with baselines measured in the same run.

  run.py BUILD_DIR [--runs N]

1. PB round trips per second through `nmz orchestrator`'s pbPort (dumb policy, no delay), each a full
   round trip (event out, action back, thread released), with 1 and 16 JVM threads; target >= 20,000/s
   with 16 threads.
2. Microseconds per intercepted call (median) vs the same JVM without the agent; target <= 50 us.
3. JVM start-up (a trivial run) with and without the agent.
4. The bundled race (examples/java-race): failure rate plain vs under `nmz inspectors java` (random policy),
   and its fixed twin, with 95% Wilson intervals.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "java"))
sys.path.insert(0, os.path.join(SOURCE, "bench", "repro"))
import java_lib  # noqa: E402
from repro import wilson  # noqa: E402


def call_bench(java, jar, threads, calls, warmup, tool_options=None):
    env = dict(os.environ)
    env.pop("JAVA_TOOL_OPTIONS", None)
    if tool_options:
        env["JAVA_TOOL_OPTIONS"] = tool_options
    out = subprocess.run([java, "-cp", jar, "nmz.bench.CallBench", str(threads), str(calls), str(warmup)],
                         env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        sys.exit(f"bench/java: CallBench failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed_run(command, env):
    start = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    return time.monotonic() - start, proc.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--runs", type=int, default=30,
                        help="runs per race target and method (default 30; 0 skips the race)")
    args = parser.parse_args()
    build = os.path.abspath(args.build_dir)
    java = java_lib.require(build)
    nmz = os.path.join(build, "core", "nmz")
    bench_jar = os.path.join(build, "bench", "java", "java-bench.jar")
    rules = os.path.join(HERE, "bench.btm")

    with tempfile.TemporaryDirectory(prefix="nmz-bench-java-") as tmp:
        config = os.path.join(tmp, "config.toml")
        with open(config, "w") as f:
            f.write('pbPort = 0\nexplorePolicy = "dumb"\n')
        orchestrator = subprocess.Popen([nmz, "orchestrator", config], stderr=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, text=True, start_new_session=True)
        log = []
        java_lib.start_reader(orchestrator.stderr, log)
        try:
            match = java_lib.wait_for_line(log, r"PB endpoint .* on 127\.0\.0\.1:(\d+)", 30)
            if match is None:
                sys.exit("bench/java: the orchestrator did not start:\n" + "\n".join(log))
            agent = java_lib.agent_options(nmz, rules, "bench", int(match.group(1)))
            plain1 = call_bench(java, bench_jar, 1, 200000, 20000)
            inspected1 = call_bench(java, bench_jar, 1, 20000, 2000, agent)
            plain16 = call_bench(java, bench_jar, 16, 20000, 2000)
            inspected16 = call_bench(java, bench_jar, 16, 5000, 500, agent)
        finally:
            os.killpg(orchestrator.pid, signal.SIGTERM)
            orchestrator.wait(timeout=30)

    print("PB round trips (dumb policy, each call an event out and an action back):")
    for label, inspected, plain in (("1 thread  ", inspected1, plain1), ("16 threads", inspected16, plain16)):
        print(f"  {label}: {inspected['calls_per_s']:>10,.0f} round trips/s  median {inspected['median_us']:7.1f} us"
              f"  p90 {inspected['p90_us']:7.1f} us   (no agent: {plain['calls_per_s']:,.0f} calls/s,"
              f" median {plain['median_us']:.3f} us)")
    rate16 = inspected16["calls_per_s"]
    verdict = "target met" if rate16 >= 20000 else f"target NOT met: {rate16 / 20000:.2f}x of it"
    print(f"  16 threads: {rate16:,.0f}/s vs target 20,000/s: {verdict}")
    overhead = inspected1["median_us"] - plain1["median_us"]
    ratio = inspected1["median_us"] / max(plain1["median_us"], 1e-3)
    verdict = "target met" if overhead <= 50 else f"target NOT met by {overhead - 50:.1f} us"
    print(f"per intercepted call (1 thread, median): {overhead:.1f} us more than without the agent "
          f"({ratio:,.0f}x of {plain1['median_us']:.3f} us); target <= 50 us: {verdict}")

    if args.runs > 0:
        race(java, nmz, build, args.runs)


def race(java, nmz, build, runs):
    race_jar = os.path.join(build, "examples", "java-race", "java-race.jar")
    race_dir = os.path.join(SOURCE, "examples", "java-race")
    env = dict(os.environ)
    env.pop("JAVA_TOOL_OPTIONS", None)
    plain_start = [timed_run([java, "-cp", race_jar, "nmz.example.LostUpdateFixed"], env)[0] for _ in range(5)]
    agent_env = {**env, "JAVA_TOOL_OPTIONS": java_lib.agent_options(nmz, os.path.join(race_dir, "rules.btm"), "race",
                                                                    java_lib.free_port())}
    agent_start = [timed_run([java, "-cp", race_jar, "nmz.example.LostUpdateFixed"], agent_env)[0] for _ in range(5)]
    plain_start.sort()
    agent_start.sort()
    print(f"JVM start-up and run, median of 5: {plain_start[2] * 1000:.0f} ms plain, {agent_start[2] * 1000:.0f} ms "
          f"with the agent (no nmz listening): {agent_start[2] / plain_start[2]:.2f}x")

    methods = {
        "plain": lambda cls: [java, "-cp", race_jar, cls],
        "nmz-random": lambda cls: [nmz, "inspectors", "java", "-autopilot", os.path.join(race_dir, "random.toml"),
                                   "-rules", os.path.join(race_dir, "rules.btm"), "-entity-id", "race", "--",
                                   java, "-cp", race_jar, cls],
    }
    counts = {}
    for _ in range(runs):
        for target in ("LostUpdate", "LostUpdateFixed"):
            for method, command in methods.items():
                _, rc = timed_run(command("nmz.example." + target), env)
                runs, fails = counts.get((target, method), (0, 0))
                counts[(target, method)] = (runs + 1, fails + int(rc != 0))
    print(f"\n{'target':<18} {'method':<11} {'runs':>5} {'fail':>5} {'rate':>7}   95% Wilson")
    for (target, method), (runs, fails) in counts.items():
        low, high = wilson(fails, runs)
        print(f"{target:<18} {method:<11} {runs:>5} {fails:>5} {fails / runs:>6.1%}   [{low:5.1%}, {high:5.1%}]")
    plain_high = wilson(*reversed(counts[("LostUpdate", "plain")]))[1]
    nmz_low = wilson(*reversed(counts[("LostUpdate", "nmz-random")]))[0]
    print(f"LostUpdate under nmz vs plain: intervals {'do not overlap' if nmz_low > plain_high else 'overlap'}; "
          f"fixed twin failures: {sum(counts[('LostUpdateFixed', m)][1] for m in methods)}")


if __name__ == "__main__":
    main()
