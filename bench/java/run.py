#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/java: the java inspector's cost and effect, with baselines measured in the same run.

  run.py BUILD_DIR [--runs N] [--repeat N] [--baseline OTHER_NMZ]

1. PB round trips per second through `nmz orchestrator`'s pbPort (dumb policy, no delay), each a full
   round trip (event out, action back, thread released), with 1 and 16 JVM threads; target >= 20,000/s
   with 16 threads.
2. Microseconds per intercepted call (median) vs the same JVM without the agent; target <= 50 us.
   For both, the CPU time the JVM and nmz spend per round trip (on a loaded machine the wall-clock rates
   measure mostly the wait for a CPU); with --baseline, the same for another nmz and ratios against it.
3. JVM start-up (a trivial run) with and without the agent.
4. The bundled race (examples/java-race): failure rate plain vs under `nmz inspectors java` (random policy),
   and its fixed twin, with 95% Wilson intervals.
"""
import argparse
import json
import os
import signal
import statistics
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


def call_bench(java, jar, threads, calls, warmup, tool_options=None, orchestrator_pid=None):
    """CallBench's JSON line, plus the CPU microseconds per call of the JVM and (when given) the orchestrator."""
    env = dict(os.environ)
    env.pop("JAVA_TOOL_OPTIONS", None)
    if tool_options:
        env["JAVA_TOOL_OPTIONS"] = tool_options
    nmz_before = process_cpu(orchestrator_pid) if orchestrator_pid else 0.0
    out = subprocess.run([java, "-cp", jar, "nmz.bench.CallBench", str(threads), str(calls), str(warmup)],
                         env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        sys.exit(f"bench/java: CallBench failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # The JVM's CPU while the measured calls ran; nmz's over all of them, the warm-up's too.
    result["jvm_cpu_us"] = result["cpu_s"] / result["calls"] * 1e6
    if orchestrator_pid:
        trips = result["calls"] + result["warmup_calls"]
        result["nmz_cpu_us"] = (process_cpu(orchestrator_pid) - nmz_before) / trips * 1e6
    return result


def process_cpu(pid):
    """User + system CPU seconds of a running process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_run(command, env):
    start = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    return time.monotonic() - start, proc.returncode


class Orchestrator:
    """`nmz orchestrator` with pbPort and the dumb policy, and the agent options of that nmz's own helper jar."""

    def __init__(self, nmz, tmp, rules):
        config = os.path.join(tmp, "config.toml")
        with open(config, "w") as f:
            f.write('pbPort = 0\nexplorePolicy = "dumb"\n')
        self.proc = subprocess.Popen([nmz, "orchestrator", config], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, start_new_session=True)
        log = []
        java_lib.start_reader(self.proc.stderr, log)
        match = java_lib.wait_for_line(log, r"PB endpoint .* on 127\.0\.0\.1:(\d+)", 30)
        if match is None:
            self.close()
            sys.exit(f"bench/java: {nmz} orchestrator did not start:\n" + "\n".join(log))
        self.agent = java_lib.agent_options(nmz, rules, "bench", int(match.group(1)))

    def close(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)


SHAPES = (("1 thread", 1, 20000, 2000), ("16 threads", 16, 5000, 500))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--runs", type=int, default=30,
                        help="runs per race target and method (default 30; 0 skips the race)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="measurements per variant and thread count, interleaved; medians reported (default 3)")
    parser.add_argument("--baseline", metavar="NMZ",
                        help="another nmz (an older build, with its own helper jar) measured alike in the same run")
    args = parser.parse_args()
    build = os.path.abspath(args.build_dir)
    java = java_lib.require(build)
    nmz = os.path.join(build, "core", "nmz")
    bench_jar = os.path.join(build, "bench", "java", "java-bench.jar")
    rules = os.path.join(HERE, "bench.btm")
    variants = {"this build": nmz}
    if args.baseline:
        variants = {"baseline": os.path.abspath(args.baseline), **variants}

    samples = {(v, shape[0]): [] for v in variants for shape in SHAPES}
    load_before = os.getloadavg()[0]
    plain = {shape[0]: call_bench(java, bench_jar, shape[1], shape[2] * 10, shape[3] * 10) for shape in SHAPES}
    with tempfile.TemporaryDirectory(prefix="nmz-bench-java-") as tmp:
        for _ in range(args.repeat):
            for variant, binary in variants.items():
                orchestrator = Orchestrator(binary, tmp, rules)
                try:
                    for label, threads, calls, warmup in SHAPES:
                        samples[(variant, label)].append(
                            call_bench(java, bench_jar, threads, calls, warmup, orchestrator.agent, orchestrator.proc.pid))
                finally:
                    orchestrator.close()

    def median(variant, label, key):
        return statistics.median(r[key] for r in samples[(variant, label)])

    print(f"PB round trips (dumb policy, each call an event out and an action back; median of {args.repeat} "
          f"interleaved runs; load average {load_before:.0f} before, {os.getloadavg()[0]:.0f} after, "
          f"on {os.cpu_count()} CPUs):")
    print(f"  {'variant':<11} {'threads':<10} {'round trips/s':>13} {'median us':>10} {'p90 us':>9} {'p99 us':>9} "
          f"{'>1 ms':>6} {'CPU us/trip: JVM':>17} {'nmz':>6}")
    for variant in variants:
        for label, *_ in SHAPES:
            print(f"  {variant:<11} {label:<10} {median(variant, label, 'calls_per_s'):>13,.0f} "
                  f"{median(variant, label, 'median_us'):>10.1f} {median(variant, label, 'p90_us'):>9.1f} "
                  f"{median(variant, label, 'p99_us'):>9.1f} {median(variant, label, 'over_1ms'):>6.1%} "
                  f"{median(variant, label, 'jvm_cpu_us'):>17.1f} {median(variant, label, 'nmz_cpu_us'):>6.1f}")
    for label, *_ in SHAPES:
        print(f"  no agent    {label:<10} {plain[label]['calls_per_s']:>13,.0f} {plain[label]['median_us']:>10.3f}")
    if args.baseline:
        for label, *_ in SHAPES:
            rate = median("this build", label, "calls_per_s") / median("baseline", label, "calls_per_s")
            lat = median("this build", label, "median_us") / median("baseline", label, "median_us")
            cpu = ((median("this build", label, "jvm_cpu_us") + median("this build", label, "nmz_cpu_us")) /
                   (median("baseline", label, "jvm_cpu_us") + median("baseline", label, "nmz_cpu_us")))
            print(f"  this build vs baseline, {label}: {rate:.2f}x the round trips/s, {lat:.2f}x the median latency, "
                  f"{cpu:.2f}x the CPU per round trip")
    rate16 = median("this build", "16 threads", "calls_per_s")
    verdict = "target met" if rate16 >= 20000 else f"target NOT met: {rate16 / 20000:.2f}x of it"
    print(f"  16 threads: {rate16:,.0f}/s vs target 20,000/s: {verdict}")
    overhead = median("this build", "1 thread", "median_us") - plain["1 thread"]["median_us"]
    verdict = "target met" if overhead <= 50 else f"target NOT met by {overhead - 50:.1f} us"
    print(f"per intercepted call (1 thread, median): {overhead:.1f} us more than without the agent; "
          f"target <= 50 us: {verdict}")
    cpu16 = median("this build", "16 threads", "jvm_cpu_us") + median("this build", "16 threads", "nmz_cpu_us")
    print(f"CPU per round trip (16 threads, JVM + nmz): {cpu16:.1f} us, so {os.cpu_count()} idle CPUs could carry "
          f"about {os.cpu_count() / cpu16 * 1e6:,.0f} round trips/s")

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
