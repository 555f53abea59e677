#!/bin/bash
# One command for the ZooKeeper example: assembles its materials
# (assemble.sh), then nmz init, N runs, summary,
# all inside a network namespace of its own (the bridge, the ethernet
# inspector and the orchestrator's endpoints stay out of the host's).
#   examples/zookeeper/reproduce.sh [-n N] [-c CONFIG] STORAGE
# ZK_INSPECTOR (java, ethernet, none) and ZK_RULES pass through to run.sh.
# Needs root. Uses $NMZ_BIN, else build/core/nmz of this checkout, else nmz.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
N=1
CONFIG="$HERE/config.toml"
while getopts n:c: opt; do
  case "$opt" in
    n) N=$OPTARG ;;
    c) CONFIG=$OPTARG ;;
    *) echo "usage: $0 [-n N] [-c CONFIG] STORAGE" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || { echo "usage: $0 [-n N] [-c CONFIG] STORAGE" >&2; exit 2; }
STORAGE=$1
if [ -z "${NMZ_BIN:-}" ]; then
  if [ -x "$HERE/../../build/core/nmz" ]; then NMZ_BIN="$HERE/../../build/core/nmz"; else NMZ_BIN=nmz; fi
fi
export NMZ_BIN
# REST listens on every address of the namespace (for the JVMs' PB side):
# a token keeps it to nmz's own inspectors.
export NMZ_REST_TOKEN="${NMZ_REST_TOKEN:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
materials=$(mktemp -d /tmp/nmz-zk-materials.XXXXXX)
ns="nmzzk-$$"
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$materials"; }
trap cleanup EXIT
"$HERE/assemble.sh" "$materials"
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$NMZ_BIN" init --force "$CONFIG" "$materials" "$STORAGE"
rc=0
ip netns exec "$ns" "$NMZ_BIN" run -n "$N" "$STORAGE" || rc=$?
exit $rc
