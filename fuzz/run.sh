#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) in their own
# build directory and runs each one.
#   bash fuzz/run.sh [--time SECONDS | --runs N] [NAME...]
# --time (default 60, what CI uses) bounds each harness's run; --runs N runs
# N executions each (bench/run.sh fuzz). Crashes, leaks and timeouts are
# written to fuzz/regressions/NAME/ (commit them: every build replays them,
# suite unit) and make the script fail. Prints executions per harness.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time=60)
names=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
build=${FUZZ_BUILD_DIR:-build-fuzz}
if [[ ! -d "$build" ]]; then
  CC=clang CXX=clang++ meson setup "$build" --wrap-mode=nodownload -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized >/dev/null
fi
if [[ ${#names[@]} -eq 0 ]]; then
  for harness in fuzz/*_fuzzer.cpp; do
    harness=${harness#fuzz/}
    names+=("${harness%_fuzzer.cpp}")
  done
fi
targets=()
for name in "${names[@]}"; do targets+=("fuzz/${name}_fuzzer"); done
if ! ninja -C "$build" "${targets[@]}" >"$build/fuzz-build.log" 2>&1; then
  echo "fuzz: building the harnesses failed; last lines of $build/fuzz-build.log:"
  tail -n 40 "$build/fuzz-build.log"
  exit 1
fi
status=0
for name in "${names[@]}"; do
  work=$(mktemp -d)
  mkdir -p "fuzz/regressions/$name"
  log="$work/log"
  if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$build/fuzz/${name}_fuzzer" "${limit[@]}" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="fuzz/regressions/$name/" \
      "$work" "fuzz/corpus/$name" >"$log" 2>&1; then
    status=1
    echo "fuzz $name: FAILED; input kept in fuzz/regressions/$name/; last lines:"
    tail -n 30 "$log"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  echo "fuzz $name: ${runs:-?} executions"
  rm -rf "$work"
done
exit $status
