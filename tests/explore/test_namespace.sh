# Sourced by the explore tests that run nmz on targets in network
# namespaces: skips (77) without root or bridges, then gives the test a
# network namespace of its own, $NS (where nmz run, its REST endpoint, the
# bridge and the inspector live), and a temporary directory, $TMP, both
# removed on exit. Each run's script creates and removes its per-process
# namespaces, and the next run of a slot removes what a killed one left:
# those names are not the test's to delete once its runs are over (another
# run may hold the slot now).
#   source test_namespace.sh NAME     fail MESSAGE, in_ns CMD...
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
: "${NMZ_BIN:?}" "${NMZ_SOURCE_ROOT:?}"
ip link add nmzprobe$$ type bridge 2>/dev/null && ip link del nmzprobe$$ || { echo "SKIP: cannot create a bridge"; exit 77; }
NS="$1-$$"
TMP=$(mktemp -d)
cleanup() {
  local status=$?
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$TMP"
  exit $status
}
trap cleanup EXIT
trap 'exit 143' TERM INT
fail() { echo "FAIL: $*"; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
ip netns add "$NS"
in_ns ip link set lo up
