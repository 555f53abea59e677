# SPDX-License-Identifier: Apache-2.0
"""A small experiment shared by the scale-out tests: run.sh records the
run's isolation environment, can hold every run at a barrier until
materials/barrier runs are alive at once, and can block until released;
validate.sh fails the runs whose id ends in 3."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rest"))
from nmz_helpers import NMZ, check, nmz, write  # noqa: E402,F401

RUN_SH = r"""#!/bin/sh
w="$NMZ_WORKING_DIR"; m="$NMZ_MATERIALS_DIR"
env | grep '^NMZ_' | sort > "$w/env.txt"
touch "$w/started"
if [ -f "$m/barrier" ]; then
  mkdir -p "$m/arrived" && touch "$m/arrived/$NMZ_RUN_ID"
  i=0
  while [ "$(ls "$m/arrived" | wc -l)" -lt "$(cat "$m/barrier")" ]; do
    i=$((i + 1)); [ $i -gt 600 ] && exit 9
    sleep 0.05
  done
fi
while [ -f "$m/hold" ] || [ -f "$m/hold-$NMZ_RUN_ID" ]; do sleep 0.05; done
exit 0
"""
VALIDATE_SH = """#!/bin/sh
case "$NMZ_RUN_ID" in *3) exit 1;; esac
exit 0
"""
CONFIG = """run = "run.sh"
validate = "validate.sh"
explorePolicy = "dumb"
restPort = 0
"""


def make_storage(top, name, config=CONFIG):
    materials = os.path.join(top, name + "-materials")
    os.mkdir(materials)
    write(os.path.join(materials, "run.sh"), RUN_SH, 0o755)
    write(os.path.join(materials, "validate.sh"), VALIDATE_SH, 0o755)
    config_path = os.path.join(top, name + ".toml")
    write(config_path, config)
    storage = os.path.join(top, name)
    p = nmz("init", config_path, materials, storage)
    check(p.returncode == 0, "init: " + p.stderr)
    return storage


def run_dirs(storage):
    return sorted(d for d in os.listdir(storage) if len(d) == 8 and os.path.isdir(os.path.join(storage, d)))


def env_of(storage, run_id):
    with open(os.path.join(storage, run_id, "env.txt")) as f:
        return dict(line.split("=", 1) for line in f.read().splitlines())


def status(storage):
    p = nmz("status", "--json", storage)
    check(p.returncode == 0, "status: " + p.stderr)
    return json.loads(p.stdout)


def summary(storage):
    p = nmz("summary", "--json", storage)
    check(p.returncode == 0, "summary: " + p.stderr)
    return json.loads(p.stdout)
