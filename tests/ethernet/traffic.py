#!/usr/bin/env python3
"""Traffic for the ethernet inspector tests (stdlib only).

  tcp-echo-server HOST PORT
  tcp-check HOST PORT NBYTES [--timeout S] [--bind ADDR]   exit 0 intact, 1 corrupt, 3 timeout
  udp-sink HOST PORT SECONDS OUT                           "seq sent received" per datagram
  udp-send HOST PORT COUNT INTERVAL [--bind ADDR]
  udp-analyze OUT COUNT                                    prints key=value statistics
"""
import argparse
import hashlib
import random
import socket
import sys
import threading
import time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp_echo_server(a):
    srv = socket.socket(family(a.host), socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.host, a.port))
    srv.listen(16)

    def echo(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def tcp_check(a):
    rng = random.Random(1234)
    payload = bytes(rng.getrandbits(8) for _ in range(a.nbytes))
    s = socket.socket(family(a.host), socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        if a.bind:
            s.bind((a.bind, 0))
        s.connect((a.host, a.port))
        received = bytearray()
        errors = []

        def reader():
            try:
                while len(received) < len(payload):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    received.extend(chunk)
            except OSError as e:
                errors.append(e)

        t = threading.Thread(target=reader)
        t.start()
        offset = 0
        while offset < len(payload):
            size = rng.randint(1, 4096)
            s.sendall(payload[offset:offset + size])
            offset += size
        t.join(a.timeout)
        if t.is_alive() or any(isinstance(e, socket.timeout) for e in errors):
            print("timeout after receiving %d of %d bytes" % (len(received), len(payload)))
            return 3
    except socket.timeout:
        print("timeout")
        return 3
    finally:
        s.close()
    if bytes(received) != payload:
        print("corrupt: got %d bytes, sha %s, want %d bytes, sha %s" % (
            len(received), hashlib.sha256(received).hexdigest(), len(payload), hashlib.sha256(payload).hexdigest()))
        return 1
    print("ok %d bytes intact and in order" % len(payload))
    return 0


def udp_sink(a):
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    s.bind((a.host, a.port))
    end = time.monotonic() + a.seconds
    with open(a.out, "w") as out:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data = s.recv(2048)
            except socket.timeout:
                break
            seq, sent = data.decode().split()
            out.write("%s %s %.6f\n" % (seq, sent, time.monotonic()))
            out.flush()
    return 0


def udp_send(a):
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    if a.bind:
        s.bind((a.bind, 0))
    start = time.monotonic()
    for seq in range(a.count):
        target = start + seq * a.interval
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        s.sendto(("%d %.6f" % (seq, time.monotonic())).encode(), (a.host, a.port))
    return 0


def udp_analyze(a):
    rows = [line.split() for line in open(a.out) if line.strip()]
    seqs = [int(r[0]) for r in rows]
    latency = [float(r[2]) - float(r[1]) for r in rows]
    inversions = sum(1 for i in range(1, len(seqs)) if seqs[i] < seqs[i - 1])
    missing = sorted(set(range(a.count)) - set(seqs))
    print("received=%d unique=%d duplicates=%d inversions=%d missing=%d" % (
        len(seqs), len(set(seqs)), len(seqs) - len(set(seqs)), inversions, len(missing)))
    print("missing_first=%d missing_last=%d" % ((missing[0], missing[-1]) if missing else (-1, -1)))
    print("max_latency_ms=%.0f slow_count=%d" % (max(latency) * 1000 if latency else 0,
                                                 sum(1 for x in latency if x > 0.5)))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("tcp-echo-server"); c.add_argument("host"); c.add_argument("port", type=int)
    c = sub.add_parser("tcp-check"); c.add_argument("host"); c.add_argument("port", type=int)
    c.add_argument("nbytes", type=int); c.add_argument("--timeout", type=float, default=20); c.add_argument("--bind")
    c = sub.add_parser("udp-sink"); c.add_argument("host"); c.add_argument("port", type=int)
    c.add_argument("seconds", type=float); c.add_argument("out")
    c = sub.add_parser("udp-send"); c.add_argument("host"); c.add_argument("port", type=int)
    c.add_argument("count", type=int); c.add_argument("interval", type=float); c.add_argument("--bind")
    c = sub.add_parser("udp-analyze"); c.add_argument("out"); c.add_argument("count", type=int)
    a = p.parse_args()
    return {"tcp-echo-server": tcp_echo_server, "tcp-check": tcp_check, "udp-sink": udp_sink,
            "udp-send": udp_send, "udp-analyze": udp_analyze}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
