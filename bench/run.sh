#!/usr/bin/env bash
# Runs nmz's benchmarks; each prints ratios against a baseline measured in
# the same run (these machines are noisy: compare ratios, not absolutes).
#   bash bench/run.sh [orchestrator|rest|fs|ethernet|repro|native|explore|scale|java|zookeeper|fuzz ...]   (default: all but fuzz and zookeeper)
# Builds into BUILD_DIR (default build/) first. fs, ethernet, repro, native
# explore and zookeeper need root; scale's Slurm part needs root and the Slurm packages.
# NMZ_BENCH_BASELINE=/path/to/an/older/nmz adds, in repro, rows timing that
# nmz too (one nmz per run), and in ethernet a "before" cell, for a
# before/after comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
[[ -d "$build" ]] || meson setup "$build" --wrap-mode=nodownload >/dev/null
ninja -C "$build" >/dev/null
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(orchestrator rest fs ethernet repro native explore scale java)
for name in "${names[@]}"; do
  echo "=== bench: $name"
  case "$name" in
    orchestrator) "$build/bench/orchestrator/bench_orchestrator" ;;
    rest) bash bench/rest/run.sh "$build" ;;
    fs) python3 bench/fs/run.py "$build" ;;
    ethernet) bash bench/ethernet/run.sh "$build" ;;
    repro) python3 bench/repro/repro.py --build-dir "$build" --runs 30
           python3 bench/repro/native_methods.py "$build" --runs 30 ${NMZ_BENCH_BASELINE:+--baseline "$NMZ_BENCH_BASELINE"} ;;
    scale) python3 bench/scale/run.py "$build" ;;
    fuzz) bash fuzz/run.sh --runs 10000000 ;;
    native) python3 bench/repro/native_methods.py "$build" --extra flaky-order="$build/examples/flaky/flaky-order" ;;
    explore) python3 bench/explore/run.py "$build" --runs 20 ;;
    java) python3 bench/java/run.py "$build" --runs 30 ;;
    zookeeper) python3 bench/zookeeper/run.py "$build" ;;
    *) echo "unknown benchmark \"$name\" (orchestrator, rest, fs, ethernet, repro, native, explore, scale, java, zookeeper, fuzz)" >&2; exit 2 ;;
  esac
done
