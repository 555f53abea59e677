#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A three-process lease service with an ordering bug, for nmz's explore
policy (tests/explore, bench/explore).

  server  grants a lease on one key (500 ms), and applies writes made
          under a lease:  ACQUIRE name -> GRANT token | BUSY
                          WRITE token value -> OK | STALE    (old clients)
                          FWRITE token value -> OK | STALE   (new clients)
                          RELEASE token -> OK
  client  (two of them) rounds of: acquire (polling while the other holds
          it), write "name-round", release, pause. c1 is an old client
          (WRITE), c2 a new one (FWRITE, --fenced).

The bug (--mode buggy): for old clients' WRITE the server applies any
token it ever issued, without checking that the lease is still that
token's: no fencing (FWRITE is checked). A write of c1 that arrives more
than a lease after its grant (its packets, or the grant, held that long)
is applied although c2 may hold the lease by then: the classic lost
update of lease-based locking. Only c1's exchange with the server shows
it, and only when held for hundreds of milliseconds; reordering by tens of
milliseconds never does. --mode fixed is its twin, which fences WRITE too.

The server writes a JSON report (writes applied, stale writes applied, the
final value and the last lease holder); validate.sh fails the run when a
stale write was applied.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

LEASE_SECONDS = 0.5
PORT = 7000


def serve(args):
    lock = threading.Lock()
    state = {"token": 0, "holder": None, "expires": 0.0, "value": None, "writes": 0, "stale_applied": 0,
             "rejected": 0, "history": []}
    done = threading.Semaphore(0)

    def handle(conn):
        with conn, conn.makefile("rw", buffering=1) as stream:
            for line in stream:
                words = line.split()
                if not words:
                    continue
                now = time.monotonic()
                with lock:
                    reply = command(words, now)
                if reply is None:
                    break
                stream.write(reply + "\n")
        done.release()

    def command(words, now):
        verb = words[0]
        if verb == "ACQUIRE":
            if state["holder"] is None or now >= state["expires"]:
                state["token"] += 1
                state["holder"] = words[1]
                state["expires"] = now + LEASE_SECONDS
                return "GRANT %d" % state["token"]
            return "BUSY"
        if verb in ("WRITE", "FWRITE"):
            token = int(words[1])
            current = token == state["token"] and now < state["expires"]
            if (args.mode == "fixed" or verb == "FWRITE") and not current:
                state["rejected"] += 1
                return "STALE"
            if 0 < token <= state["token"]:
                state["value"] = words[2]
                state["writes"] += 1
                state["history"].append(words[2])
                if not current:
                    state["stale_applied"] += 1
                return "OK"
            return "STALE"
        if verb == "RELEASE":
            if int(words[1]) == state["token"]:
                state["holder"] = None
            return "OK"
        if verb == "BYE":
            return None
        return "ERROR"

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.address, PORT))
    listener.listen(8)
    for _ in range(2):
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()
    done.acquire()
    done.acquire()
    report = {k: v for k, v in state.items() if k not in ("expires",)}
    report["mode"] = args.mode
    temporary = args.report + ".tmp"
    with open(temporary, "w") as out:
        json.dump(report, out)
    os.replace(temporary, args.report)


def client(args):
    conn = socket.create_connection((args.server, PORT), timeout=30)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stream = conn.makefile("rw", buffering=1)
    print("connected", flush=True)

    def ask(line):
        stream.write(line + "\n")
        stream.flush()
        reply = stream.readline()
        if not reply:
            sys.exit("%s: the server closed the connection" % args.name)
        return reply.split()

    for n in range(args.rounds):
        while True:
            reply = ask("ACQUIRE " + args.name)
            if reply[0] == "GRANT":
                token = reply[1]
                break
            time.sleep(0.02)
        ask("%s %s %s-%d" % ("FWRITE" if args.fenced else "WRITE", token, args.name, n))
        ask("RELEASE " + token)
        time.sleep(args.pause)
    stream.write("BYE\n")
    stream.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="role", required=True)
    s = sub.add_parser("server")
    s.add_argument("--address", required=True)
    s.add_argument("--mode", choices=["buggy", "fixed"], default="buggy")
    s.add_argument("--report", required=True)
    c = sub.add_parser("client")
    c.add_argument("--server", required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--rounds", type=int, default=20)
    c.add_argument("--pause", type=float, default=0.15)
    c.add_argument("--fenced", action="store_true", help="write with FWRITE (a new client)")
    args = parser.parse_args()
    serve(args) if args.role == "server" else client(args)


if __name__ == "__main__":
    main()
