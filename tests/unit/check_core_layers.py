#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails when a core source includes a header of a layer above its own
(docs/architecture.md): the host (plugin, config, orchestrator, rest, pb,
log, util) includes no front end; the experiment runner and container mode
include neither each other nor the CLI.
usage: check_core_layers.py CORE_SRC_DIR"""
import pathlib
import re
import sys

LAYER = {"plugin": 0, "config": 0, "orchestrator": 0, "rest": 0, "pb": 0, "log": 0, "util": 0,
         "experiment": 1, "container": 1, "cli": 2}


def main(argv):
    src = pathlib.Path(argv[1])
    problems = []
    for path in sorted(src.glob("*/*.[ch]pp")):
        own = path.parent.name
        if own not in LAYER:
            problems.append(f"{path}: directory {own}/ has no layer in check_core_layers.py")
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.match(r'#include "([a-z_]+)/', line)
            if not match or match.group(1) == own:
                continue
            other = match.group(1)
            if other not in LAYER or LAYER[other] > LAYER[own] or (LAYER[other] == LAYER[own] and LAYER[own] > 0):
                problems.append(f"{path}:{number}: {own}/ (layer {LAYER[own]}) includes {other}/: {line.strip()}")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} include(s) against the layering" if problems else "core layering holds")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
