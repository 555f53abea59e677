#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""How does nmz change a real ZooKeeper ensemble's elections?

examples/zookeeper (3 nodes, Debian's zookeeper 3.8, each in a network
namespace; the leader killed and restarted; validate.sh: every JVM up
and electing within 120 s of its start, then one leader and epoch within
40 s, no acknowledged write lost, every JVM stops on SIGTERM),
run under each mode, interleaved run by run so that the machine's load hits
all alike, all inside one network namespace of this script's own:

  plain             nothing intercepted (ZK_INSPECTOR=none)
  ethernet-random   quorum and election packets (TCP 2888, 3888), random 0-20 ms
  ethernet-explore  the same packets, the explore policy
  java-default      the Java inspector, rules/messages.btm (every quorum
                    message sent and received), random 0-20 ms
  java-targeted     the Java inspector, rules/election.btm (vote handling,
                    election notifications, learner sync), random 0-20 ms

Per mode, first a short table to compare the modes by: who led first and
after the restart (shares), election rounds (the highest FastLeaderElection
round any node reached), validation failures (95% Wilson interval) and why,
and what was left behind after each run (processes naming the run, its
network namespaces, bridges, mounts, iptables rules: must be 0); then the
details: counts, elections, start-up and formation times, distinct
outcomes, seconds per run.
Then the startup of one ZooKeeper node (standalone, until it answers
`srvr`) plain, with byteman's agent alone and with nmz's Java agent: medians
and ratios against plain, measured in the same run.

  bench/run.sh zookeeper
  run.py BUILD_DIR [--runs 10] [--modes plain,ethernet-random,...] [--startup-runs 5] [--no-ensemble]
         [--max-minutes M] [--record FILE]
  run.py --report FILE        (the table of the runs a --record FILE holds)
"""
import argparse
import collections
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(SOURCE, "examples", "zookeeper")
ZK_CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
BYTEMAN_AGENT = "/usr/share/java/byteman.jar"

RANDOM = ['explorePolicy = "random"', "[explorePolicyParam]", 'minInterval = "0ms"', 'maxInterval = "20ms"']
MODES = {
    # mode: (config lines, run.sh environment)
    "plain": (['explorePolicy = "dumb"'], {"ZK_INSPECTOR": "none"}),
    "ethernet-random": (RANDOM, {"ZK_INSPECTOR": "ethernet"}),
    "ethernet-explore": (['explorePolicy = "explore"'], {"ZK_INSPECTOR": "ethernet"}),
    "java-default": (RANDOM, {"ZK_INSPECTOR": "java", "ZK_RULES": "messages.btm"}),
    "java-targeted": (RANDOM, {"ZK_INSPECTOR": "java", "ZK_RULES": "election.btm"}),
}


def wilson(failed, n, z=1.96):
    if n == 0:
        return 0.0, 1.0
    p = failed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


class Bench:
    def __init__(self, args):
        self.nmz = os.path.join(os.path.abspath(args.build_dir), "core", "nmz")
        self.ns = "nmzzkbench-%d" % os.getpid()
        self.tmp = tempfile.mkdtemp(prefix="nmz-bench-zookeeper-")
        self.token = os.urandom(16).hex()
        self.materials = os.path.join(self.tmp, "materials")
        subprocess.run([os.path.join(EXAMPLE, "assemble.sh"), self.materials], check=True)
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        self.in_ns(["ip", "link", "set", "lo", "up"], check=True)

    def in_ns(self, argv, **kwargs):
        # REST and PB listen on every address of the namespace (the JVMs
        # reach PB through the bridge): the token keeps REST to nmz's own.
        kwargs["env"] = dict(kwargs.get("env") or os.environ, NMZ_REST_TOKEN=self.token)
        return subprocess.run(["ip", "netns", "exec", self.ns] + argv, **kwargs)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def storage(self, mode):
        lines, _ = MODES[mode]
        cfg = os.path.join(self.tmp, mode + ".toml")
        with open(cfg, "w") as out:
            out.write("\n".join(['init = "init.sh"', 'run = "run.sh"', 'validate = "validate.sh"', 'clean = "clean.sh"',
                                 "restPort = 0", "pbPort = 0", 'restAddress = "0.0.0.0"', 'runTimeout = "240s"']
                                + lines) + "\n")
        path = os.path.join(self.tmp, mode)
        self.in_ns([self.nmz, "init", cfg, self.materials, path], check=True, stdout=subprocess.DEVNULL)
        return path

    def leftovers(self, run_dir):
        """What one finished run left: JVMs and other processes whose command
        line names its directory, its nodes' namespaces, mounts under it."""
        left = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmdline = open("/proc/%s/cmdline" % pid, "rb").read().decode(errors="replace")
            except OSError:
                continue
            if run_dir in cmdline:
                left.append("process %s" % pid)
        # Node namespaces by name and inode (run.sh records both): the names
        # belong to the run slot, and a deleted namespace's inode number goes
        # to whichever namespace someone on this machine creates next.
        try:
            ours = {tuple(line.split()) for line in open(os.path.join(run_dir, "netns_inodes")) if line.strip()}
        except OSError:
            ours = set()
        for name in os.listdir("/run/netns") if os.path.isdir("/run/netns") else []:
            try:
                if (name, str(os.stat(os.path.join("/run/netns", name)).st_ino)) in ours:
                    left.append("netns %s" % name)
            except OSError:
                pass
        bridges = self.in_ns(["ip", "-o", "link", "show", "type", "bridge"], capture_output=True, text=True).stdout
        left += ["bridge %s in %s" % (m.group(1), self.ns) for m in re.finditer(r"\d+: (nmzbr\d+)", bridges)]
        left += ["mount %s" % l.split()[1] for l in open("/proc/mounts") if run_dir in l]
        # Only the ethernet modes add rules (NFQUEUE, in this script's own
        # namespace): every mode must leave none.
        for tool in ("iptables-save", "ip6tables-save"):
            saved = self.in_ns([tool], capture_output=True, text=True).stdout
            left += ["%s rule %s" % (tool.split("-")[0], l) for l in saved.splitlines() if l.startswith("-A ")]
        return left

    def run_once(self, storage, mode):
        env = dict(os.environ, **MODES[mode][1])
        if env.get("ZK_RULES"):
            env["ZK_RULES"] = os.path.join(storage, "materials", "rules", env["ZK_RULES"])
        started = time.monotonic()
        self.in_ns([self.nmz, "run", storage], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.monotonic() - started
        run_dir = os.path.join(storage, sorted(d for d in os.listdir(storage) if len(d) == 8)[-1])
        return read_run(run_dir, seconds, self.leftovers(run_dir))


def read_run(run_dir, seconds, leftovers):
    def text(name):
        try:
            return open(os.path.join(run_dir, name)).read().strip()
        except OSError:
            return None
    try:
        result = json.load(open(os.path.join(run_dir, "result.json")))
    except (OSError, ValueError):
        result = {"status": "broken", "reason": "no result.json"}
    outcome = text("outcome") or "?"
    if result.get("status") == "failed" and text("problems"):
        result["reason"] = text("problems")
    fields = dict(f.split("=", 1) for f in outcome.split() if "=" in f)
    return {"id": os.path.basename(run_dir), "status": result.get("status"), "reason": result.get("reason", ""),
            "seconds": seconds, "outcome": outcome, "first": fields.get("first", "?"), "after": fields.get("after", "?"),
            "rounds": int(fields.get("rounds", "0")), "elections": int(fields.get("elections", "0")),
            "up_ms": text("up1_ms"), "formed_ms": text("formed1_ms"), "up2_ms": text("up2_ms"),
            "formed2_ms": text("formed2_ms"), "ended": time.time(), "leftovers": leftovers}


CAUSES = (  # (column, what validate.sh's first reason matches)
    ("not up", r"the JVMs did not all come up|the restarted leader's JVM did not come up"),
    ("not formed", r"no single leader"),
    ("lost write", r"only \d+ of 30 writes|zk\d lost acknowledged|zk\d could not be read"),
    ("JVM exit", r"zk\d did not stop|zk\d exited with"),
)
WHY = [column for column, _ in CAUSES] + ["other"]


def cause(row):
    """Why a run failed, in a word or two: a JVM not up in time, an ensemble
    not formed in time, an acknowledged write missing (or not taken, or a
    node unreadable), a JVM that did not stop on SIGTERM."""
    first = row["reason"].split("; ")[0]
    return next((column for column, pattern in CAUSES if re.match(pattern, first)), "other")


def median_ms(rows, key):
    values = [int(r.get(key) or "") for r in rows if (r.get(key) or "").isdigit()]
    return "%.1f s" % (statistics.median(values) / 1000) if values else "never"


def shares(rows, key):
    counts = collections.Counter(r[key] for r in rows)
    return " ".join("%s %.0f%%" % (k.replace("zk", "") if k.startswith("zk") else k, 100 * v / len(rows))
                    for k, v in sorted(counts.items()))


def compare(results):
    """The short table to compare the modes by: who leads, how many election
    rounds, how many runs failed validation (95% Wilson interval) and why."""
    print("| mode | runs | first leader (node share) | leader after restart | election rounds, median (max) | "
          "validation failures, 95%% Wilson | why (%s) | left behind |" % " / ".join(WHY))
    print("|---|---|---|---|---|---|---|---|")
    for mode, rows in results.items():
        judged = [r for r in rows if r["status"] in ("passed", "failed")]
        failed = [r for r in judged if r["status"] == "failed"]
        lo, hi = wilson(len(failed), len(judged))
        why = collections.Counter(cause(r) for r in failed)
        broken = len(rows) - len(judged)
        rounds = [r["rounds"] for r in rows]
        print("| %s | %d%s | %s | %s | %s | %d/%d = %.0f%% [%.0f, %.0f] | %s | %d |" % (
            mode, len(rows), " (%d broken)" % broken if broken else "", shares(rows, "first"), shares(rows, "after"),
            "%g (%d)" % (statistics.median(rounds), max(rounds)) if rounds else "-",
            len(failed), len(judged), 100 * len(failed) / len(judged) if judged else 0, 100 * lo, 100 * hi,
            " / ".join(str(why[c]) for c in WHY),
            sum(len(r["leftovers"]) for r in rows)))


def report(results):
    """The distribution per mode as Markdown tables (examples/zookeeper/README.md shows them)."""
    compare(results)
    print()
    print("| mode | runs | failed | first leader (node:runs) | leader after restart | rounds mean (max) | "
          "elections mean (max) | up, median | formed after up, median | distinct outcomes | s/run, median |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for mode, rows in results.items():
        failed = sum(r["status"] == "failed" for r in rows)
        broken = sum(r["status"] not in ("passed", "failed") for r in rows)
        rounds = [r["rounds"] for r in rows]
        elections = [r["elections"] for r in rows]
        def dist(key):
            counts = collections.Counter(r[key] for r in rows)
            return " ".join("%s:%d" % (k.replace("zk", ""), v) for k, v in sorted(counts.items()))
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %d | %.1f |" % (
            mode, len(rows), "%d%s" % (failed, " +%d broken" % broken if broken else ""), dist("first"), dist("after"),
            "%.1f (%d)" % (statistics.mean(rounds), max(rounds)) if rounds else "-",
            "%.1f (%d)" % (statistics.mean(elections), max(elections)) if elections else "-",
            median_ms(rows, "up_ms"), median_ms(rows, "formed_ms"), len({r["outcome"] for r in rows}),
            statistics.median(r["seconds"] for r in rows) if rows else 0))
    print("(leader shares and counts per node, none: no single leader then; rounds: the highest FastLeaderElection "
          "round any node reached; elections: times a node went looking for a leader, 6 when all goes smoothly; "
          "up: from the JVMs' start until every node began electing (deadline ZK_START_SECONDS); formed: from then "
          "until one leader and epoch with every node synchronised (deadline ZK_FORM_SECONDS); left behind: "
          "processes naming the run, its namespaces, bridges, mounts and iptables rules, counted after every run)")
    for mode, rows in results.items():
        for r in rows:
            if r["status"] != "passed":
                print("  %s run %s %s: %s" % (mode, r["id"], r["status"], r["reason"][:200]))
            if r["leftovers"]:
                print("  %s run %s left: %s" % (mode, r["id"], ", ".join(r["leftovers"])))


def read_record(path):
    """The runs a --record file holds, per mode in the order first seen."""
    results = {}
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            results.setdefault(row.pop("mode"), []).append(row)
    return results


def serving(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"srvr")
            return b"Mode:" in s.recv(4096)
    except OSError:
        return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_once(tmp, prefix, tool_options):
    """Seconds from exec (of `prefix` + java ..., or java alone) to a
    standalone node answering srvr on loopback."""
    port = free_port()
    data = tempfile.mkdtemp(dir=tmp)
    cfg = os.path.join(data, "zoo.cfg")
    with open(cfg, "w") as out:
        out.write("tickTime=500\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                  "4lw.commands.whitelist=srvr\n" % (data, port))
    env = dict(os.environ)
    env.pop("JAVA_TOOL_OPTIONS", None)
    if tool_options:
        env["JAVA_TOOL_OPTIONS"] = tool_options
    started = time.monotonic()
    jvm = subprocess.Popen(prefix + ["java", "-Xms32m", "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                                     "-Dzookeeper.preAllocSize=1024", "-cp", ZK_CLASSPATH,
                                     "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
                           env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "log"), "w"))
    try:
        while not serving(port):
            if jvm.poll() is not None or time.monotonic() - started > 60:
                return None
            time.sleep(0.02)
        return time.monotonic() - started
    finally:
        jvm.terminate()
        jvm.wait()


def startup(bench, runs):
    """Standalone nodes, one at a time, variants interleaved: plain, with
    byteman's agent alone (no rules), and under `nmz inspectors java` with
    the example's election rules (its own PB listener and an embedded
    orchestrator with the dumb policy: every intercepted call is a full
    round trip)."""
    variants = {"plain": ([], None), "byteman agent, no rules": ([], "-javaagent:%s" % BYTEMAN_AGENT)}
    listed = subprocess.run([bench.nmz, "plugins", "list"], capture_output=True, text=True).stdout
    if re.search(r"^java\s+inspector", listed, re.M):
        cfg = os.path.join(bench.tmp, "startup.toml")
        with open(cfg, "w") as out:
            out.write('explorePolicy = "dumb"\n')
        rules = os.path.join(bench.materials, "rules", "election.btm")
        variants["nmz inspectors java, election.btm"] = (
            [bench.nmz, "inspectors", "java", "-autopilot", cfg, "-rules", rules, "-entity-id", "zk-startup", "--"], None)
    else:
        print("(no java inspector plugin: no nmz row)")
    times = {v: [] for v in variants}
    for _ in range(runs):
        for name, (prefix, options) in variants.items():
            seconds = start_once(bench.tmp, prefix, options)
            if seconds is not None:
                times[name].append(seconds)
    base = statistics.median(times["plain"]) if times["plain"] else None
    print("%-36s %5s %10s %8s" % ("ZooKeeper node start", "runs", "median s", "ratio"))
    for name, values in times.items():
        if not values:
            print("%-36s %5d %10s %8s" % (name, 0, "never", "-"))
            continue
        median = statistics.median(values)
        print("%-36s %5d %10.2f %7.2fx" % (name, len(values), median, median / base if base else float("nan")))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir", nargs="?")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--modes", default="plain,ethernet-random,java-default,java-targeted")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--no-ensemble", action="store_true")
    parser.add_argument("--max-minutes", type=float, default=0,
                        help="start no round (one run per mode) after this many minutes; 0: no limit")
    parser.add_argument("--record", help="append each run, as a JSON line, to this file (kept if interrupted)")
    parser.add_argument("--report", metavar="RECORD", help="only print the table of a --record file")
    args = parser.parse_args()
    if args.report:
        results = read_record(args.report)
        print("== ZooKeeper ensemble, runs per mode: %s" % ", ".join("%s %d" % (m, len(r)) for m, r in results.items()))
        report(results)
        return
    if args.build_dir is None:
        parser.error("BUILD_DIR is required (unless --report)")
    if os.geteuid() != 0:
        sys.exit("bench/zookeeper needs root (network namespaces)")
    if not os.path.exists("/usr/share/java/zookeeper.jar"):
        sys.exit("bench/zookeeper: zookeeper is not installed (scripts/setup-deps.sh installs it)")
    modes = args.modes.split(",")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        sys.exit("bench/zookeeper: unknown mode(s) %s; known: %s" % (unknown, ", ".join(MODES)))
    bench = Bench(args)
    try:
        if not args.no_ensemble:
            storages = {m: bench.storage(m) for m in modes}
            results = {m: [] for m in modes}
            started = time.monotonic()
            for i in range(args.runs):
                if args.max_minutes and time.monotonic() - started > args.max_minutes * 60:
                    break
                for mode in modes[i % len(modes):] + modes[:i % len(modes)]:
                    row = bench.run_once(storages[mode], mode)
                    results[mode].append(row)
                    if args.record:
                        with open(args.record, "a") as f:
                            f.write(json.dumps(dict(row, mode=mode)) + "\n")
                    sys.stderr.write("\rround %d/%d %-17s" % (i + 1, args.runs, mode))
                    sys.stderr.flush()
            sys.stderr.write("\n")
            print("== ZooKeeper ensemble, %d runs per mode" % len(results[modes[0]]))
            report(results)
        if args.startup_runs:
            print("\n== ZooKeeper node startup, %d starts per variant" % args.startup_runs)
            startup(bench, args.startup_runs)
    finally:
        bench.close()


if __name__ == "__main__":
    main()
