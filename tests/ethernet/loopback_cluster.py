#!/usr/bin/env python3
# One node of a small cluster whose nodes all live on 127.0.0.1, each on a
# port of its own (BASE_PORT + INDEX), as test clusters usually do: it
# connects to every other node from an ephemeral port and sends it ROUNDS
# lines, reads ROUNDS lines from every node that connects to it, and writes
# its pid and the ephemeral ports it connected from (they change from run
# to run; the node names nmz gives must not). It connects once the file GO
# exists (the caller creates it when every node listens), so that no
# connection is refused: a refused SYN's destination has no process.
#   loopback_cluster.py INDEX NODES BASE_PORT ROUNDS REPORT GO
import json
import os
import socket
import sys
import threading
import time

index, nodes, base, rounds = (int(a) for a in sys.argv[1:5])
report, go = sys.argv[5:7]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", base + index))
listener.listen(nodes)
received = []


def serve(conn):
    with conn, conn.makefile() as lines:
        for line in lines:
            received.append(line.strip())


def accept_all():
    for _ in range(nodes - 1):
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


acceptor = threading.Thread(target=accept_all, daemon=True)
acceptor.start()
deadline = time.monotonic() + 30
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit(f"node {index}: {go} did not appear within 30 s")
    time.sleep(0.02)
source_ports = []
for peer in range(nodes):
    if peer == index:
        continue
    out = socket.create_connection(("127.0.0.1", base + peer), timeout=30)
    source_ports.append(out.getsockname()[1])
    with out:
        for r in range(rounds):
            out.sendall(f"node{index} round{r}\n".encode())
            time.sleep(0.01)
deadline = time.monotonic() + 30
while len(received) < rounds * (nodes - 1) and time.monotonic() < deadline:
    time.sleep(0.02)
with open(report, "w") as f:
    json.dump({"pid": os.getpid(), "source_ports": source_ports, "received": len(received)}, f)
sys.exit(0 if len(received) == rounds * (nodes - 1) else f"node {index}: received {len(received)} lines")
