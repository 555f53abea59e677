#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`nmz tools analyze` over real runs of a coverage-instrumented program:
`gcov` (a C program built with gcc --coverage, its .gcda files written into
each run's coverage directory through GCOV_PREFIX, read through gcovr) or
`jacoco` (a Java program run with JaCoCo's agent, its .exec file read
through JaCoCo's core library). The inputs of the runs are chosen so that
the number of distinct execution patterns and of runs that covered new
branches is known. Exits 77 when the tools are not installed."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

NMZ = os.environ["NMZ_BIN"]
# Debian's org.jacoco.agent.rt.jar has no Premain-Class: the agent to give
# -javaagent is the jacocoagent.jar inside org.jacoco.agent.jar.
JACOCO_AGENT_BUNDLE = "/usr/share/java/org.jacoco.agent.jar"

C_PROGRAM = r"""#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  int x = argc > 1 ? atoi(argv[1]) : 0;
  if (x > 10) puts("big");
  else if (x > 0) puts("small");
  else puts("none");
  return 0;
}
"""
JAVA_PROGRAM = r"""public class Branchy {
  public static void main(String[] args) {
    int x = Integer.parseInt(args[0]);
    if (x > 10) System.out.println("big");
    else if (x > 0) System.out.println("small");
    else System.out.println("none");
  }
}
"""
GCOV_RUN_SH = r"""#!/bin/sh
input="$(cat "$NMZ_MATERIALS_DIR/input")"
# How a run collects gcov coverage: the .gcda files go under the run's
# coverage directory, at the object files' absolute paths.
[ "$input" = none ] || export GCOV_PREFIX="$NMZ_WORKING_DIR/coverage"
exec "$(cat "$NMZ_MATERIALS_DIR/program")" "$input"
"""
JACOCO_RUN_SH = r"""#!/bin/sh
# How a run collects JaCoCo coverage: the agent writes an .exec file into
# the run's coverage directory.
classes="$(cat "$NMZ_MATERIALS_DIR/program")"
exec java -javaagent:"$classes/jacocoagent.jar"=destfile="$NMZ_WORKING_DIR/coverage/jacoco.exec" \
    -cp "$classes" Branchy "$(cat "$NMZ_MATERIALS_DIR/input")"
"""


def check(condition, message):
    if not condition:
        print("FAIL:", message)
        sys.exit(1)


def run(*args, timeout=180, cwd=None):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=cwd)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def build(kind, top):
    out = os.path.join(top, "build")
    os.mkdir(out)
    if kind == "gcov":
        write(os.path.join(out, "prog.c"), C_PROGRAM)
        p = run("gcc", "--coverage", "-O0", "-o", os.path.join(out, "prog"), os.path.join(out, "prog.c"), cwd=out)
        check(p.returncode == 0, p.stderr)
        return os.path.join(out, "prog"), GCOV_RUN_SH
    write(os.path.join(out, "Branchy.java"), JAVA_PROGRAM)
    p = run("javac", "-d", out, os.path.join(out, "Branchy.java"))
    check(p.returncode == 0, p.stderr)
    with zipfile.ZipFile(JACOCO_AGENT_BUNDLE) as bundle, open(os.path.join(out, "jacocoagent.jar"), "wb") as agent:
        agent.write(bundle.read("jacocoagent.jar"))
    return out, JACOCO_RUN_SH


def main(kind):
    needed = ["gcc", "gcovr"] if kind == "gcov" else ["java", "javac"]
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if kind == "jacoco" and not os.path.exists(JACOCO_AGENT_BUNDLE):
        missing.append(JACOCO_AGENT_BUNDLE)
    if missing:
        print("skipped: %s not installed (scripts/setup-deps.sh installs them)" % ", ".join(missing))
        sys.exit(77)
    top = tempfile.mkdtemp(prefix="nmz-analyze-")
    try:
        program, run_sh = build(kind, top)
        materials = os.path.join(top, "materials")
        os.mkdir(materials)
        write(os.path.join(materials, "run.sh"), run_sh, 0o755)
        write(os.path.join(materials, "program"), program + "\n")
        write(os.path.join(top, "config.toml"), 'run = "run.sh"\nexplorePolicy = "dumb"\n')
        storage = os.path.join(top, "storage")
        p = run(NMZ, "init", os.path.join(top, "config.toml"), materials, storage)
        check(p.returncode == 0, p.stderr)
        # big, small, big, none-branch, small, small, no coverage at all
        inputs = ["20", "5", "20", "0", "5", "7"] + (["none"] if kind == "gcov" else [])
        for value in inputs:
            write(os.path.join(storage, "materials", "input"), value + "\n")
            p = run(NMZ, "run", storage)
            check(p.returncode == 0, "nmz run with input %s: %s" % (value, p.stderr))

        p = run(NMZ, "tools", "analyze", storage)
        check(p.returncode == 0, "analyze: %d %s %s" % (p.returncode, p.stdout, p.stderr))
        check("distinct execution patterns: 3\n" in p.stdout and "runs that covered new branches: 3\n" in p.stdout,
              p.stdout)
        data = json.loads(run(NMZ, "tools", "analyze", "--json", storage).stdout)
        check(data["runs"] == len(inputs) and data["runs_with_coverage"] == 6 and data["distinct_patterns"] == 3, data)
        rows = data["per_run"]
        patterns = [r.get("coverage_pattern") for r in rows]
        check(patterns[0] == patterns[2] and patterns[1] == patterns[4] == patterns[5] and
              len({patterns[0], patterns[1], patterns[3]}) == 3, patterns)
        check([r.get("new_coverage") for r in rows[:6]] == [True, True, False, True, False, False], rows)
        check([r.get("new_branches", 0) > 0 for r in rows[:6]] == [True, True, False, True, False, False], rows)
        check(all(r["tool"] == kind for r in rows[:6]), rows)
        if kind == "gcov":
            check("coverage_pattern" not in rows[6] and "00000006  no coverage" in p.stdout, rows[6])
        for i, r in enumerate(rows[:6]):
            with open(os.path.join(storage, "%08x" % i, "coverage.json")) as f:
                record = json.load(f)
            check(record["coverage_pattern"] == r["coverage_pattern"] and record["new_coverage"] == r["new_coverage"],
                  record)

        # Coverage nmz cannot read: an error naming the file, the others counted.
        bogus = os.path.join(storage, "00000001", "coverage", "nowhere")
        os.makedirs(bogus, exist_ok=True)
        write(os.path.join(bogus, "x.gcda" if kind == "gcov" else "x.exec"), "garbage")
        p = run(NMZ, "tools", "analyze", storage)
        check(p.returncode == 1 and "00000001  error: " in p.stdout and "runs with coverage:          5 of" in p.stdout,
              p.stdout)

        if kind == "gcov":
            # Compiled with a relative source path: gcovr cannot find the
            # source from the .gcda files under RUN/coverage. An error that
            # says so, not a run that silently covered nothing.
            out = os.path.join(top, "build")
            p = run("gcc", "--coverage", "-O0", "-o", "prog_rel", "prog.c", cwd=out)
            check(p.returncode == 0, p.stderr)
            relative = os.path.join(top, "storage-relative")
            check(run(NMZ, "init", os.path.join(top, "config.toml"), materials, relative).returncode == 0, "init")
            write(os.path.join(relative, "materials", "program"), os.path.join(out, "prog_rel") + "\n")
            write(os.path.join(relative, "materials", "input"), "20\n")
            check(run(NMZ, "run", relative).returncode == 0, "nmz run of the relative build")
            p = run(NMZ, "tools", "analyze", relative)
            check(p.returncode == 1 and "gcovr found the source of none of its .gcda files (compile with absolute source paths"
                  in p.stdout, p.stdout)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
