#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""fs benchmark, one command: `bench/fs/run.py [BUILD_DIR] [--mib N] [--files N] [--reads N] [--repeat N] [--pairs N]`.

Runs the same workloads (build/bench/fs/fs_workload) on
  native          the backing directory itself,
  passthrough_ll  libfuse's low-level passthrough example, compiled here from
                  the libfuse3-dev docs, mounted with nmz's kernel options
                  (allow_other, default_permissions) and with xattr support
                  (-o xattr), which nmz has too: the baseline of create,
                  stat and unlink,
  passthrough_hp  libfuse's "high performance" passthrough example (splice,
                  kernel caches, writeback) with its defaults: the baseline
                  of the reads. Debian's libfuse3-dev does not ship it, so it
                  is compiled from the source of the installed libfuse3,
                  fetched with apt-get source (once; kept in BUILD_DIR),
  nmz fs          `nmz inspectors fs` with the dumb policy (zero delay) and
                  its default inspected operations,
  nmz fs -ops none  the same with nothing inspected (pure passthrough cost),
prints the median of --repeat runs plus the ratios, then the rows of issue 18
(each against its baseline, measured in this same run) and "target met" or
by how much it is missed.

The targets run interleaved, round after round, in an order rotated each
round; each workload's median round counts. Create and unlink, whose
differences are smaller than the load's drift over a round, are measured
again in --pairs passes in which passthrough_ll and nmz fs (and --before)
take turns every 100 files, the workload and the daemons all on one CPU
(--unpinned: on all); the issue's rows give the median of the passes'
ratios. The sequential reads are measured again the same way in --pairs
passes: passthrough_hp and nmz fs (and --before) take turns writing the big
file (not timed) and reading it right after, again, and cold. The backing
directories are
on a tmpfs mounted for the run: a disk adds noise (writeback of what the
previous run wrote) larger than the differences measured, and a fast backing
store leaves the FUSE overhead exposed. --disk puts them on the filesystem of
$TMPDIR (or /var/tmp) instead. Everything is unmounted and removed at the
end. Needs root and /dev/fuse."""
import argparse
import glob
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = "/usr/share/doc/libfuse3-dev/examples"


def mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def wait_mounted(path, proc, log):
    deadline = time.monotonic() + 15
    while not mounted(path):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("mount on %s did not appear; see %s" % (path, log))
        time.sleep(0.02)


def cpu_ticks(pid):
    """User plus system time of process `pid` (all its threads), in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def pin_threads(pid, cpu):
    """Every thread of process `pid` to run on `cpu` only (threads it starts later inherit it)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except ProcessLookupError:
            pass  # the thread ended meanwhile


def debian_source_lists(into):
    """The system's enabled Debian package sources, as deb-src entries under
    `into` (a private apt configuration: the system's is left alone)."""
    parts = os.path.join(into, "parts")
    os.makedirs(parts)
    for path in glob.glob("/etc/apt/sources.list.d/*.sources"):
        with open(path) as f:
            text = f.read()
        text = "\n".join("Types: deb-src" if line.strip() == "Types: deb" else line for line in text.splitlines())
        with open(os.path.join(parts, os.path.basename(path)), "w") as f:
            f.write(text + "\n")
    classic = os.path.join(into, "sources.list")
    with open(classic, "w") as out:
        for path in ["/etc/apt/sources.list"] + glob.glob("/etc/apt/sources.list.d/*.list"):
            if os.path.exists(path):
                with open(path) as f:
                    out.writelines("deb-src" + line[3:] for line in f if line.startswith("deb "))
    return ["-o", "Dir::Etc::SourceList=" + classic, "-o", "Dir::Etc::SourceParts=" + parts,
            "-o", "Dir::State::Lists=" + os.path.join(into, "lists"), "-o", "Dir::Cache=" + os.path.join(into, "cache"),
            "-o", "APT::Sandbox::User=root"]


def passthrough_hp_source(work):
    """Directory holding passthrough_hp.cc and cxxopts.hpp of the installed libfuse3."""
    if os.path.exists(os.path.join(EXAMPLES, "passthrough_hp.cc")):
        return EXAMPLES
    query = subprocess.run(["dpkg-query", "-W", "-f", "${source:Package} ${source:Version}", "libfuse3-dev"],
                           capture_output=True, text=True, check=True).stdout.split()
    package, version = query[0], query[1]
    for d in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(work, "apt", d))
    options = debian_source_lists(os.path.join(work, "apt"))
    log = os.path.join(work, "apt.log")
    with open(log, "w") as out:
        subprocess.run(["apt-get"] + options + ["update"], stdout=out, stderr=subprocess.STDOUT)
        fetched = subprocess.run(["apt-get"] + options + ["source", "--download-only", "%s=%s" % (package, version)],
                                 cwd=work, stdout=out, stderr=subprocess.STDOUT)
    tarballs = [t for t in glob.glob(os.path.join(work, "%s_*.orig.tar.*" % package)) if not t.endswith(".asc")]
    if fetched.returncode != 0 or not tarballs:
        sys.exit("cannot fetch the source of %s %s for passthrough_hp (see %s)" % (package, version, log))
    with tarfile.open(tarballs[0]) as tar:
        wanted = [m for m in tar.getmembers() if m.name.endswith(("example/passthrough_hp.cc", "example/cxxopts.hpp"))]
        tar.extractall(work, members=wanted)
    return os.path.dirname(os.path.join(work, wanted[0].name))


def build_passthrough_hp(build, cflags):
    binary = os.path.join(build, "bench", "fs", "passthrough_hp")
    if os.access(binary, os.X_OK):
        return binary
    work = tempfile.mkdtemp(prefix="nmz-fs-bench-hp-", dir=os.environ.get("TMPDIR", "/var/tmp"))
    try:
        source = passthrough_hp_source(work)
        print("compiling passthrough_hp from %s (once)" % source, flush=True)
        subprocess.run(["c++", "-O2", "-std=c++17", "-I", source, os.path.join(source, "passthrough_hp.cc"),
                        "-o", binary + ".tmp"] + cflags, check=True)
        os.replace(binary + ".tmp", binary)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return binary


class Target:
    def __init__(self, name, root, start=None):
        self.name = name
        self.dir = os.path.join(root, name.replace(" ", "_"))
        self.orig = self.dir + ".orig"
        self.start_fn = start
        self.proc = None
        os.makedirs(self.dir)
        os.makedirs(self.orig)

    def start(self):
        if self.start_fn:
            self.proc = self.start_fn(self)
            wait_mounted(self.dir, self.proc, self.orig + ".log")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        while mounted(self.dir):
            subprocess.run(["fusermount3", "-u", "-z", self.dir], stderr=subprocess.DEVNULL)


# The rows of issue 18: (label, workload, baseline, whether the ratio is a
# speed (baseline time / nmz time, at least `target`) or a time (nmz time /
# baseline time, at most `target`), target).
ISSUE_ROWS = [
    ("FUSE sequential read %d MiB, just written through the mount, vs passthrough_hp", "seq read", "passthrough_hp",
     "speed", 0.95),
    ("FUSE sequential read %d MiB, cold cache, vs passthrough_hp", "seq read cold", "passthrough_hp", "speed", 0.95),
    ("FUSE sequential read %d MiB, read before, vs passthrough_hp", "seq read again", "passthrough_hp", "speed", 0.95),
    ("FUSE create %d files, default inspection, dumb, vs passthrough_ll", "create", "passthrough_ll", "time", 1.10),
    ("FUSE unlink %d files, inspected, vs passthrough_ll", "unlink", "passthrough_ll", "time", 1.10),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    parser.add_argument("--mib", type=int, default=1024, help="size of the big file in MiB (default 1024)")
    parser.add_argument("--reads", type=int, default=20000, help="random 4 KiB reads (default 20000)")
    parser.add_argument("--files", type=int, default=5000, help="small files (default 5000)")
    # Five: on the 2-vCPU development VM a 1 GiB sequential write through
    # FUSE takes either ~0.8 s or ~1.8 s from one run to the next, for every
    # target alike; with three runs a target sometimes got no fast one.
    parser.add_argument("--repeat", type=int, default=5, help="runs per workload; the median counts (default 5)")
    parser.add_argument("--pairs", type=int, default=11,
                        help="interleaved create and unlink passes over passthrough_ll and nmz fs (default 11)")
    parser.add_argument("--unpinned", action="store_true",
                        help="run the interleaved passes on every CPU, not all on one (their ratios then scatter "
                             "with where the scheduler puts each daemon's threads)")
    parser.add_argument("--disk", action="store_true", help="back the mounts with $TMPDIR's filesystem, not a tmpfs")
    parser.add_argument("--before", metavar="BUILD_DIR",
                        help="another build of nmz (e.g. of main) to run as a target too, for before/after numbers "
                             "from one run")
    args = parser.parse_args()
    if os.geteuid() != 0 or not os.path.exists("/dev/fuse"):
        sys.exit("bench/fs needs root and /dev/fuse")
    build = os.path.abspath(args.build)
    workload = os.path.join(build, "bench", "fs", "fs_workload")
    nmz = os.path.join(build, "core", "nmz")
    for path in (workload, nmz):
        if not os.access(path, os.X_OK):
            sys.exit("%s is missing: build first (ninja -C %s)" % (path, build))
    cflags = subprocess.run(["pkg-config", "fuse3", "--cflags", "--libs"], capture_output=True, text=True,
                            check=True).stdout.split()
    hp_binary = build_passthrough_hp(build, cflags)

    root = tempfile.mkdtemp(prefix="nmz-fs-bench-", dir=os.environ.get("TMPDIR", "/var/tmp"))
    targets = []
    try:
        if not args.disk:
            # Room for the big file plus slack.
            size = "%dm" % (2 * args.mib + 1024)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "nmz-fs-bench", root], check=True)
        ll_binary = os.path.join(root, "passthrough_ll.bin")
        subprocess.run(["cc", "-O2", "-I", EXAMPLES, os.path.join(EXAMPLES, "passthrough_ll.c"), "-o", ll_binary]
                       + cflags, check=True)
        config = os.path.join(root, "dumb.toml")
        with open(config, "w") as f:
            f.write('explorePolicy = "dumb"\n')

        def run_ll(t):
            log = open(t.orig + ".log", "w")
            # The kernel-side options nmz mounts with, so that both pay for the
            # same permission checks (a GETATTR of the directory after each
            # change), and xattr support, which nmz must have: without it the
            # example answers the kernel's first GETXATTR with ENOSYS and the
            # kernel stops asking, while a filesystem with xattrs is asked for
            # security.capability before writes (one more request per created
            # file, measured with strace -c).
            return subprocess.Popen([ll_binary, "-f", "-o",
                                     "source=" + t.orig + ",allow_other,default_permissions,xattr",
                                     t.dir], stdout=log, stderr=subprocess.STDOUT)

        def run_hp(t):
            log = open(t.orig + ".log", "w")
            return subprocess.Popen([hp_binary, "--foreground", t.orig, t.dir], stdout=log, stderr=subprocess.STDOUT)

        def run_nmz(extra, binary=nmz):
            def start(t):
                log = open(t.orig + ".log", "w")
                return subprocess.Popen([binary, "inspectors", "fs", "-autopilot", config, "-original-dir", t.orig,
                                         "-mount-point", t.dir] + extra, stdout=log, stderr=subprocess.STDOUT)
            return start

        native = Target("native", root)
        native.dir = native.orig  # no mount: the workloads run on the backing dir
        targets = [native, Target("passthrough_ll", root, run_ll), Target("passthrough_hp", root, run_hp),
                   Target("nmz fs", root, run_nmz([])), Target("nmz fs -ops none", root, run_nmz(["-ops", "none"]))]
        if args.before:
            targets.append(Target("before: nmz fs", root,
                                  run_nmz([], os.path.join(os.path.abspath(args.before), "core", "nmz"))))
        workloads = [
            ("seq write", "seq write 1MiB x%d" % args.mib, lambda d: ["seq-write", d + "/big", str(args.mib)], None),
            ("seq read", "seq read 1MiB x%d" % args.mib, lambda d: ["seq-read", d + "/big"], None),
            ("seq read again", "seq read again x%d" % args.mib, lambda d: ["seq-read", d + "/big"], None),
            ("seq read cold", "seq read cold x%d" % args.mib, lambda d: ["seq-read-cold", d + "/big"], None),
            ("rand read", "rand read 4KiB x%d" % args.reads, lambda d: ["rand-read", d + "/big", str(args.reads)],
             None),
            ("create", "create %d files" % args.files, lambda d: ["create", d + "/small", str(args.files)], "mkdir"),
            ("stat", "stat %d files" % args.files, lambda d: ["stat", d + "/small", str(args.files)], None),
            ("unlink", "unlink %d files" % args.files, lambda d: ["unlink", d + "/small", str(args.files)], "rmdir"),
        ]
        samples = {}

        def run_workload(t, key, argv, around, cpu=None):
            small = os.path.join(t.dir, "small")
            if around == "mkdir":
                os.mkdir(small)
            # Not timed: what the previous run left dirty is written
            # back now rather than during this one.
            os.sync()
            out = subprocess.run([workload] + argv(t.dir), capture_output=True, text=True,
                                 preexec_fn=None if cpu is None else lambda: os.sched_setaffinity(0, {cpu}))
            if out.returncode != 0:
                sys.exit("%s on %s failed: %s" % (key, t.name, out.stderr))
            if around == "rmdir":
                os.rmdir(small)
            return float(out.stdout)

        for t in targets:
            t.start()
        for round_number in range(args.repeat):
            # Rotated each round, so that no target always runs right after
            # the same other one (these machines' load drifts).
            shift = round_number % len(targets)
            for t in targets[shift:] + targets[:shift]:
                for key, _, argv, around in workloads:
                    samples.setdefault((key, t.name), []).append(run_workload(t, key, argv, around))
                # One big file at a time: several GiB of them at once made
                # the last target's writes several times slower.
                os.unlink(os.path.join(t.dir, "big"))
        results = {k: statistics.median(v) for k, v in samples.items()}
        # Create and unlink once more, the targets interleaved 100 files at
        # a time within one run (fs_workload *-interleaved), each pass's
        # ratio taken between totals that saw the same load.
        paired = {}
        daemon_cpu = {}
        nmz_names = ["nmz fs"] + (["before: nmz fs"] if args.before else [])
        by_name = {t.name: t for t in targets}
        pass_targets = [by_name["passthrough_ll"]] + [by_name[name] for name in nmz_names]
        pinned = None if args.unpinned else max(os.sched_getaffinity(0))
        if pinned is not None:
            for t in pass_targets:
                pin_threads(t.proc.pid, pinned)
        read_targets = [by_name["passthrough_hp"]] + [by_name[name] for name in nmz_names]
        if pinned is not None:
            pin_threads(by_name["passthrough_hp"].proc.pid, pinned)
        read_keys = ("seq read", "seq read again", "seq read cold")
        # What the daemon spent on a read, unlike its time, hardly depends on
        # the load: near nothing when the kernel's cache served it.
        read_cpu = {}
        write_argv = next(argv for key, _, argv, _ in workloads if key == "seq write")
        for pass_number in range(args.pairs):
            took = {}
            shift = pass_number % len(read_targets)
            for t in read_targets[shift:] + read_targets[:shift]:
                run_workload(t, "seq write", write_argv, None, pinned)
                for key, _, argv, around in workloads:
                    if key in read_keys:
                        ticks_before = cpu_ticks(t.proc.pid)
                        took[(key, t.name)] = run_workload(t, key, argv, around, pinned)
                        read_cpu.setdefault((key, t.name), []).append(
                            (cpu_ticks(t.proc.pid) - ticks_before) / os.sysconf("SC_CLK_TCK"))
                os.unlink(os.path.join(t.dir, "big"))
            for key in read_keys:
                for name in nmz_names:
                    paired.setdefault((key, name), []).append(took[(key, "passthrough_hp")] / took[(key, name)])
        for _ in range(args.pairs):
            smalls = [os.path.join(t.dir, "small") for t in pass_targets]
            for small in smalls:
                os.mkdir(small)
            os.sync()
            for key in ("create", "unlink"):
                ticks_before = [cpu_ticks(t.proc.pid) for t in pass_targets]
                out = subprocess.run([workload, key + "-interleaved", str(args.files), "100"] + smalls,
                                     capture_output=True, text=True,
                                     preexec_fn=None if pinned is None else lambda: os.sched_setaffinity(0, {pinned}))
                if out.returncode != 0:
                    sys.exit("%s interleaved failed: %s" % (key, out.stderr))
                ticks = [cpu_ticks(t.proc.pid) - b for t, b in zip(pass_targets, ticks_before)]
                seconds = [float(x) for x in out.stdout.split()]
                for name, mine, mine_ticks in zip(nmz_names, seconds[1:], ticks[1:]):
                    paired.setdefault((key, name), []).append(mine / seconds[0])
                    daemon_cpu.setdefault((key, name), []).append(mine_ticks / max(ticks[0], 1))
            for small in smalls:
                os.rmdir(small)
        for t in targets:
            t.stop()

        print("fs benchmark: median of %d, big file %d MiB, %d random reads, %d small files; backing fs %s (%s)"
              % (args.repeat, args.mib, args.reads, args.files, root, "disk" if args.disk else "tmpfs"))
        header = "%-24s" % "workload" + "".join("%18s" % t.name for t in targets)
        header += "%10s%10s%12s" % ("nmz/ll", "nmz/hp", "none/ll")
        print(header)
        for key, label, _, _ in workloads:
            row = "%-24s" % label + "".join("%17.3fs" % results[(key, t.name)] for t in targets)
            nmz_default = results[(key, "nmz fs")]
            row += "%10.2f%10.2f" % (nmz_default / results[(key, "passthrough_ll")],
                                     nmz_default / results[(key, "passthrough_hp")])
            row += "%12.2f" % (results[(key, "nmz fs -ops none")] / results[(key, "passthrough_ll")])
            print(row)
        print("ratios are time / time (lower is better; 1.10 = 10% slower than the baseline)")

        print("\nissue 18 (baseline measured in this run; speed = baseline time / nmz time; the ratio: median of"
              " the interleaved passes' ratios, %s; the times: medians of the rounds above):"
              % ("every CPU" if pinned is None else "the workload and the daemons all on CPU %d" % pinned))
        print("%-68s%10s%10s%16s%10s" % ("path", "baseline", "nmz fs", "ratio", "target"))
        missed = []
        for label, key, baseline, sense, target in ISSUE_ROWS:
            base, mine = results[(key, baseline)], results[(key, "nmz fs")]
            ratio = base / mine if sense == "speed" else mine / base
            if (key, "nmz fs") in paired:
                ratio = statistics.median(paired[(key, "nmz fs")])
            met = ratio >= target if sense == "speed" else ratio <= target
            label = label % (args.mib if key.startswith("seq") else args.files)
            print("%-68s%9.3fs%9.3fs%10.2fx %-5s%4s %.2fx%s" % (label, base, mine, ratio, sense,
                                                              ">=" if sense == "speed" else "<=", target,
                                                              "" if met else "  MISSED"))
            if (key, "nmz fs") in paired:
                print("%-68s%s" % ("  ratio in each of the %d interleaved passes" % args.pairs,
                                   " ".join("%.2f" % r for r in paired[(key, "nmz fs")])))
                if key in read_keys:
                    print("%-68s%s" % ("  daemon CPU seconds per read, median of the passes",
                                       ", ".join("%s %.2f" % (t.name, statistics.median(read_cpu[(key, t.name)]))
                                                 for t in read_targets)))
                for name in [n for n in nmz_names if (key, n) in daemon_cpu]:
                    print("%-68s%29.2fx  (%s)" % ("  daemon CPU time, %s / passthrough_ll, median" % name,
                                                  statistics.median(daemon_cpu[(key, name)]),
                                                  " ".join("%.2f" % r for r in daemon_cpu[(key, name)])))
            if args.before:
                old = results[(key, "before: nmz fs")]
                old_ratio = base / old if sense == "speed" else old / base
                if (key, "before: nmz fs") in paired:
                    old_ratio = statistics.median(paired[(key, "before: nmz fs")])
                print("%-68s%9.3fs%9.3fs%10.2fx" % ("  the same with --before", base, old, old_ratio))
            if not met:
                missed.append("%s: %.2fx, %.2f %s the target" % (label, ratio, abs(ratio - target),
                                                                 "below" if sense == "speed" else "above"))
        if missed:
            print("target NOT met:\n  " + "\n  ".join(missed))
        else:
            print("target met")
    finally:
        for t in targets:
            t.stop()
        if not args.disk and mounted(root):
            subprocess.run(["umount", root], check=False)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
