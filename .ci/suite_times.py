#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Prints the time spent in each meson test suite, from a build's
meson-logs/testlog.json: the sum of its tests' durations (two run at a time,
so the suites' sum is about twice the wall time), slowest suite first.
A test in several suites counts in each.
usage: suite_times.py BUILD_DIR"""
import collections
import json
import pathlib
import sys


def main(argv):
    log = pathlib.Path(argv[1]) / "meson-logs" / "testlog.json"
    if not log.exists():
        print(f"{log}: no test log (the tests did not run)")
        return 0
    seconds = collections.Counter()
    counts = collections.Counter()
    for line in log.read_text().splitlines():
        test = json.loads(line)
        # "nmz:sdk+unit / name": meson 1.0's log names the suites only there.
        suites = test["name"].split(" / ", 1)[0].split(":", 1)[-1].split("+")
        for name in suites:
            seconds[name] += test.get("duration", 0.0)
            counts[name] += 1
    print(f"time per suite ({log}):")
    for name, total in seconds.most_common():
        print(f"  {name:<12} {counts[name]:>3} tests {total:8.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
