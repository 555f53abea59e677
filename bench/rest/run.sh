#!/bin/sh
# REST round trips per second against the local endpoint, measured in the
# same run. Usage: bench/rest/run.sh [BUILD_DIR] [ROUND_TRIPS]
set -eu
BUILD="${1:-build}"
ninja -C "$BUILD" bench/rest/bench_rest plugins/dumb/nmz-dumb.so > /dev/null
"$BUILD/bench/rest/bench_rest" "${2:-32000}"
