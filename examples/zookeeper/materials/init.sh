#!/bin/sh
# Checks what the example needs before any run.
[ "$(id -u)" = 0 ] || { echo "the ZooKeeper example needs root (network namespaces)" >&2; exit 1; }
for f in /usr/share/java/zookeeper.jar /usr/share/java/slf4j-simple.jar; do
  [ -f "$f" ] || { echo "missing $f: apt-get install zookeeper" >&2; exit 1; }
done
command -v java > /dev/null || { echo "missing java: apt-get install default-jdk-headless" >&2; exit 1; }
/usr/bin/python3 -c "import kazoo" 2> /dev/null || { echo "missing kazoo: apt-get install python3-kazoo" >&2; exit 1; }
[ -f "$NMZ_MATERIALS_DIR/netns.sh" ] || { echo "missing materials/netns.sh: reproduce.sh copies it from examples/leaserace" >&2; exit 1; }
exit 0
