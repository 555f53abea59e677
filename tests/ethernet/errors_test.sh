#!/usr/bin/env bash
# Bad input and missing rights give a clear error naming the problem and a
# non-zero exit, and leave nothing behind.
source "$(dirname "$0")/lib.sh"
write_config dumb.toml 'explorePolicy = "dumb"'

expect_error() {  # CODE PATTERN CMD...
  local want=$1 pattern=$2 code=0; shift 2
  "$@" > "$TMP/err.out" 2>&1 || code=$?
  [ $code -eq "$want" ] || { cat "$TMP/err.out"; fail "exit $code, expected $want: $*"; }
  grep -q -- "$pattern" "$TMP/err.out" || { cat "$TMP/err.out"; fail "no \"$pattern\" in the error of: $*"; }
  echo "ok ($code): $(grep -- "$pattern" "$TMP/err.out" | head -n1)"
}
eth() { ns "$NMZ_BIN" inspectors ethernet -autopilot "$TMP/dumb.toml" "$@"; }

expect_error 2 "flag -nfq-number: expected a queue number 0-65535, got 70000" eth -nfq-number 70000
expect_error 2 "nfq-number" eth -nfq-number many
expect_error 2 "flag -rule-tcp-ports" eth -nfq-number 30 -rule-tcp-ports 80,99999
expect_error 2 "flag -rule-bridge: no interface" eth -nfq-number 30 -rule-bridge nmz-nosuchbr
# Checked before anything is installed where the cgroup2 mount is visible
# (outside `ip netns exec`, which hides it: configure fails, nothing runs)...
expect_error 2 "flag -rule-cgroup: .* is not a cgroup v2 directory" \
  "$NMZ_BIN" inspectors ethernet -autopilot "$TMP/dumb.toml" -nfq-number 30 -rule-cgroup /nmz/no/such/group
# ...and refused by iptables, with a hint, where it is not.
expect_error 1 "does cgroup /nmz/no/such/group exist" eth -nfq-number 30 -rule-cgroup /nmz/no/such/group
expect_error 2 "flag -node" eth -nfq-number 30 -node zk1=999.1.1.1
expect_error 2 "need -nfq-number" eth -rule-tcp-ports 80
expect_error 1 "flag -hookswitch: cannot bind" eth -hookswitch tcp://not-an-endpoint
chmod 755 "$TMP"; chmod 644 "$TMP/dumb.toml"  # readable by the unprivileged user
expect_error 1 "needs CAP_NET_ADMIN" ns "${AS_NOBODY[@]}" \
  "$NMZ_BIN" inspectors ethernet -autopilot "$TMP/dumb.toml" -nfq-number 31

start_nmz 32 dumb.toml -rule-tcp-ports 6107
expect_error 1 "already bound by another process" eth -nfq-number 32 -rule-tcp-ports 6107
# The failed second instance must not have touched the first one's rules.
nmz_rules_present 32 || fail "the second instance removed the first one's rules"
stop_nmz TERM
nmz_rules_present 30 && fail "rules left by a failed start"
echo PASS
