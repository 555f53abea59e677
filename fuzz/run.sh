#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) in their own
# build directory and runs each one (fuzz/README.md).
#   bash fuzz/run.sh [--time SECONDS | --runs N] [NAME...]
# --time (default 60, what CI uses) bounds each harness's run; --runs N runs
# N executions each (bench/run.sh fuzz). Crashes, leaks and timeouts are
# written to fuzz/regressions/NAME/ (commit them: every build replays them,
# suite unit), printed in base64 (a CI machine's files are gone after the
# run), and make the script fail. Prints the build's time and executions
# per harness.
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
started=$SECONDS
if [[ ! -d "$build" ]]; then
  # -Dfuzz=true configures only the SDK, the PB codec and the harnesses
  # with the sources each reaches (fuzz/meson.build).
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
echo "fuzz: harnesses built in $((SECONDS - started)) s"
status=0
for name in "${names[@]}"; do
  work=$(mktemp -d)
  mkdir "$work/corpus"
  kept=fuzz/regressions/$name
  mkdir -p "$kept"
  log="$work/log"
  before=$(ls "$kept")
  started=$SECONDS
  if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$build/fuzz/${name}_fuzzer" "${limit[@]}" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$kept/" \
      "$work/corpus" "fuzz/corpus/$name" >"$log" 2>&1; then
    status=1
    echo "fuzz $name: FAILED; last lines:"
    tail -n 30 "$log"
    for input in "$kept"/*; do
      if [[ -f "$input" ]] && ! grep -qxF "${input##*/}" <<<"$before"; then
        echo "fuzz $name: input kept in $input (base64, decode with 'base64 -d'):"
        head -c 65536 "$input" | base64
      fi
    done
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  echo "fuzz $name: ${runs:-?} executions in $((SECONDS - started)) s"
  rm -rf "$work"
done
exit $status
