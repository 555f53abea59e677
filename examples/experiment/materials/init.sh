#!/bin/sh
# Checks what the experiment needs before any run.
for tool in python3 iptables timeout; do
  command -v "$tool" > /dev/null || { echo "kvrace needs $tool" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "kvrace needs root (NFQUEUE and iptables)" >&2; exit 1; }
exit 0
