#!/bin/sh
# Writes the example's materials into DEST: materials/ plus the namespace
# helpers of examples/leaserace (one copy of them in the repository; nmz
# init copies symbolic links as they are, so a link would not do).
#   examples/zookeeper/assemble.sh DEST
set -eu
[ $# = 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
cp -r "$HERE/materials/." "$1/"
cp "$HERE/../leaserace/materials/netns.sh" "$1/"
