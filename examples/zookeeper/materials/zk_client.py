#!/usr/bin/python3
"""The client side of the ZooKeeper example: probes the ensemble's state with
ZooKeeper's four-letter words and writes and reads znodes through kazoo
(Debian's python3-kazoo, hence /usr/bin/python3).

  zk_client.py wait-up SECONDS LOG@OFFSET...  until every node's log shows,
      past OFFSET (its size when the JVM was started), that the node began
      its first election; prints the milliseconds it took and writes nothing
      else; exit 1 when SECONDS pass first
  zk_client.py wait-formed SECONDS NODE...   until exactly one node leads and
      every other follows, all on one epoch; prints the milliseconds it took
      and writes nothing else; exit 1 when SECONDS pass first
  zk_client.py state NODE...                 one JSON line per node
NODE is HOST:PORT@DATADIR (the node's client address, its dataDir).
  zk_client.py write SECONDS ACKED FIRST LAST HOST...
      creates /nmz/kFIRST .. /nmz/kLAST, retrying each until SECONDS have
      passed in all; appends every acknowledged "kN vN" to ACKED
  zk_client.py read SECONDS OUT HOST          sync() then every /nmz child's
      value as read from that one node, "kN vN" per line, into OUT
"""
import json
import os
import socket
import sys
import time


def four_letter_word(host, word, timeout=1.0):
    address, port = host.rsplit(":", 1)
    with socket.create_connection((address, int(port)), timeout=timeout) as s:
        s.sendall(word.encode())
        chunks = []
        while True:
            data = s.recv(4096)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def node_state(node):
    """Mode, Zab phase and epoch of one node (HOST@DATADIR), or what kept it
    from answering. The epoch is the node's currentEpoch file: a follower
    writes it once synchronised with its leader (its zxid stays that of
    the last transaction, of an older epoch until the next write)."""
    host, data_dir = node.split("@", 1)
    try:
        text = four_letter_word(host, "mntr")
    except OSError as error:
        return {"host": host, "mode": "down", "error": str(error)}
    fields = dict(line.split("\t", 1) for line in text.splitlines() if "\t" in line)
    try:
        with open(os.path.join(data_dir, "version-2", "currentEpoch")) as f:
            epoch = int(f.read())
    except (OSError, ValueError):
        epoch = -1
    return {"host": host, "mode": fields.get("zk_server_state", "not serving"),
            "phase": fields.get("zk_peer_state", ""), "epoch": epoch}


def formed(states):
    """One leader, every other node following it, all past synchronisation
    (Zab's broadcast phase) on one epoch."""
    modes = sorted(s["mode"] for s in states)
    return (modes == ["follower"] * (len(states) - 1) + ["leader"]
            and all(s.get("phase", "").endswith("broadcast") for s in states)
            and len({s.get("epoch") for s in states}) == 1)


def electing(log_at_offset):
    """Whether a node's JVM, started when its log (LOG@OFFSET) had OFFSET
    bytes, has come up far enough to start electing: ZooKeeper logs "New
    election" once its quorum listener is up and its data loaded."""
    path, offset = log_at_offset.rsplit("@", 1)
    try:
        with open(path, "rb") as f:
            f.seek(int(offset))
            return b"New election. My id" in f.read()
    except OSError:
        return False


def wait_up(seconds, logs):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if all(electing(log) for log in logs):
            print(int((time.monotonic() - start) * 1000))
            return 0
        time.sleep(0.05)
    return 1


def wait_formed(seconds, hosts):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if formed([node_state(h) for h in hosts]):
            print(int((time.monotonic() - start) * 1000))
            return 0
        time.sleep(0.05)
    return 1


def client(hosts, seconds):
    # Imported here: the four-letter-word commands run without kazoo.
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry
    import logging
    logging.basicConfig(level=logging.CRITICAL)
    zk = KazooClient(hosts=",".join(hosts), timeout=max(seconds, 1),
                     connection_retry=KazooRetry(max_tries=-1, max_delay=0.5))
    zk.start(timeout=seconds)
    return zk


def write(seconds, acked_path, first, last, hosts):
    from kazoo.exceptions import NodeExistsError
    deadline = time.monotonic() + seconds
    zk = client(hosts, seconds)
    try:
        zk.ensure_path("/nmz")
        for n in range(first, last + 1):
            while True:
                try:
                    zk.create("/nmz/k%d" % n, b"v%d" % n)
                    break
                except NodeExistsError:
                    # The create was applied but its answer lost with the
                    # connection: acknowledged all the same, by the ensemble.
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        return 1
                    time.sleep(0.1)
            with open(acked_path, "a") as out:
                out.write("k%d v%d\n" % (n, n))
    finally:
        zk.stop()
        zk.close()
    return 0


def read(seconds, out_path, host):
    zk = client([host], seconds)
    try:
        zk.sync("/nmz")
        lines = []
        for child in sorted(zk.get_children("/nmz"), key=lambda c: int(c[1:])):
            value, _ = zk.get("/nmz/" + child)
            lines.append("%s %s\n" % (child, value.decode()))
    finally:
        zk.stop()
        zk.close()
    tmp = out_path + ".tmp"
    with open(tmp, "w") as out:
        out.writelines(lines)
    os.replace(tmp, out_path)
    return 0


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "wait-up":
        return wait_up(float(argv[2]), argv[3:])
    if command == "wait-formed":
        return wait_formed(float(argv[2]), argv[3:])
    if command == "state":
        for host in argv[2:]:
            print(json.dumps(node_state(host)))
        return 0
    if command == "write":
        return write(float(argv[2]), argv[3], int(argv[4]), int(argv[5]), argv[6:])
    if command == "read":
        return read(float(argv[2]), argv[3], argv[4])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
