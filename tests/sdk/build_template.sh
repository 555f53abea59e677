#!/usr/bin/env bash
# The out-of-tree story end to end, with the commands docs/plugin-authoring.md
# gives: install the SDK alone to a temporary prefix (Debian's multiarch
# library directory), build examples/template against it through
# pkg-config, meson install it into the prefix's plugin directory, then show
# that nmz loads the result (found through pluginPath), that explorePolicy = "mypolicy" selects the
# template's policy, that its actions flow through the orchestrator, and
# that `nmz inspectors syslog` runs the template's inspector.
set -euo pipefail
: "${NMZ_BIN:?run through meson test}" "${NMZ_SOURCE_ROOT:?}"
work=$(mktemp -d)
inspector_pid=""
cleanup() {
  if [[ -n "$inspector_pid" ]]; then kill -9 "$inspector_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { echo "== $*"; }

step "install the SDK only (docs/plugin-authoring.md's commands, with \$work/prefix for \$HOME/nmz-sdk)"
multiarch=$(gcc -print-multiarch)
if [[ "$multiarch" != x86_64-linux-gnu ]]; then
  echo "SKIP: the documented commands name Debian's amd64 library directory; this is $multiarch"
  exit 77
fi
prefix="$work/prefix"
(cd "$NMZ_SOURCE_ROOT" && meson setup "$work/build-sdk" -Dsdk_only=true --prefix="$prefix") >"$work/sdk-setup.log"
meson install -C "$work/build-sdk" >"$work/sdk-install.log"
export PKG_CONFIG_PATH="$prefix/lib/x86_64-linux-gnu/pkgconfig"
pkg-config --modversion nmz-sdk
test -f "$prefix/include/nmz/sdk/version.hpp"
test ! -e "$prefix/include/nmz/sdk/version.hpp.in"
plugindir=$(pkg-config --variable=plugindir nmz-sdk)
[[ "$plugindir" == "$prefix/lib/x86_64-linux-gnu/nmz/plugins" ]] || { echo "plugindir is $plugindir"; exit 1; }

step "build the template against the installed SDK and meson install it"
cp -r "$NMZ_SOURCE_ROOT/examples/template" "$work/my-plugin"
(cd "$work/my-plugin" && meson setup build -Dwerror=true && ninja -C build && meson install -C build) >"$work/template.log"
plugin="$plugindir/nmz-template.so"
test -f "$plugin"

step "the template exports its entry symbol and nothing else"
abi=$(sed -n 's/^#define NMZ_SDK_ABI_VERSION //p' "$work/prefix/include/nmz/sdk/version.hpp")
nm -D --defined-only "$plugin"
python3 "$NMZ_SOURCE_ROOT/tests/sdk/check_plugin_symbols.py" "$abi" "$plugin"

step "nmz plugins inspect"
"$NMZ_BIN" plugins inspect "$plugin" | tee "$work/inspect.txt"
grep -q "policy mypolicy" "$work/inspect.txt"
grep -q "inspector syslog" "$work/inspect.txt"

step "built with clang++ (same libstdc++ ABI), it loads too, labelled clang"
CXX=clang++ meson setup "$work/template-clang" "$work/my-plugin" \
  -Dwerror=true >"$work/template-clang-setup.log"
ninja -C "$work/template-clang" >"$work/template-clang-build.log"
python3 "$NMZ_SOURCE_ROOT/tests/sdk/check_plugin_symbols.py" "$abi" "$work/template-clang/nmz-template.so"
"$NMZ_BIN" plugins inspect "$work/template-clang/nmz-template.so" | tee "$work/inspect-clang.txt"
grep -Eq "toolchain: +clang[0-9]+-cxx" "$work/inspect-clang.txt"
grep -q "policy mypolicy" "$work/inspect-clang.txt"

step "nmz plugins list finds it through NMZ_PLUGIN_PATH"
NMZ_PLUGIN_PATH="$plugindir" "$NMZ_BIN" plugins list | tee "$work/list.txt"
grep -Eq "^mypolicy +policy +0.1.0 +$plugin" "$work/list.txt"
grep -Eq "^syslog +inspector" "$work/list.txt"

step "explorePolicy = \"mypolicy\" and the syslog inspector, through the orchestrator"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
marker="$work/leader-seen"
# The installed plugin directory through the config's pluginPath, as the
# docs say to when the SDK's prefix is not nmz's own.
cat >"$work/config.toml" <<TOML
pluginPath = ["$plugindir"]
explorePolicy = "mypolicy"
[explorePolicyParam]
holdFor = "20ms"
tag = "template-test"
shellOnMatch = "LEADING"
shellOnMatchEntity = "zk-log"
shellCommand = "touch $marker"
TOML
NMZ_DEBUG=1 "$NMZ_BIN" inspectors syslog -autopilot "$work/config.toml" -entity-id zk-log -port "$port" -source zk1 2>"$work/inspector.log" &
inspector_pid=$!
for _ in $(seq 50); do grep -q "listening on udp" "$work/inspector.log" && break; sleep 0.1; done
python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for line in (b"zk1 is LOOKING\n", b"zk1 is LEADING\n"):
    s.sendto(line, ("127.0.0.1", int(sys.argv[1])))
PY
for _ in $(seq 50); do [[ -e "$marker" ]] && break; sleep 0.1; done
kill -INT "$inspector_pid"
status=0
wait "$inspector_pid" || status=$?
inspector_pid=""
cat "$work/inspector.log"
[[ $status -eq 0 ]] || { echo "nmz inspectors syslog exited $status"; exit 1; }
grep -q 'mypolicy configured: holdFor=20000000ns tag=template-test' "$work/inspector.log"
[[ $(grep -c 'NopAction .* for LogEvent' "$work/inspector.log") -eq 2 ]] || { echo "expected 2 NopActions for LogEvents"; exit 1; }
grep -q 'ShellAction .* for no event' "$work/inspector.log"
[[ -e "$marker" ]] || { echo "the ShellAction did not run"; exit 1; }
echo "template plugin works out of tree"
