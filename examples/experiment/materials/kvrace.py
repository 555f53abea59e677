#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A three-process key-value system with an ordering bug, for nmz's
bundled experiment. All traffic is TCP on 127.0.0.1.

  store   holds keys; a connection sends "SET k v" or "GET k" lines,
          applied in the order they arrived.
  reader  connects to the store, waits for "go" from the writer, then
          reads key x and records what it saw.
  writer  connects to the store and to the reader, sets x, then tells the
          reader to go.

The bug: the writer sends its SET and then "go" without waiting for the
store's OK, assuming the store has applied the SET before anyone it tells
can ask. The SET also goes out field by field (one small write each, as
an unbuffered serializer does), so the store applies it only when its last
piece arrives. On loopback each piece is normally in the store's socket
before the writer's next system call, so without nmz the reader nearly
always sees "1", however loaded the machine; when the network reorders
packets, the GET can overtake the SET and the reader sees NONE.
"""
import selectors
import socket
import struct
import sys
import time

# Linux's SO_TIMESTAMPNS (and SCM_TIMESTAMPNS), which Python does not name.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def lines(conn):
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line.decode()


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    return s


def connect(port, deadline=10.0):
    end = time.time() + deadline
    while True:
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=deadline)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return c
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.02)


def store(port, clients):
    """One thread, requests applied in the order they arrived (kernel
    receive timestamps), as a well-behaved server does: whatever the
    machine's load, a request that arrived first is applied first."""
    data = {}
    srv = listener(port)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    buffers = {}
    accepted = 0
    while accepted < clients or buffers:
        arrivals = []
        for key, _ in sel.select():
            sock = key.fileobj
            if sock is srv:
                conn, _ = srv.accept()
                conn.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                sel.register(conn, selectors.EVENT_READ)
                buffers[conn] = b""
                accepted += 1
                continue
            chunk, ancillary, _, _ = sock.recvmsg(4096, 64)
            if not chunk:
                sel.unregister(sock)
                sock.close()
                del buffers[sock]
                continue
            stamp = 0
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", payload[:16])
                    stamp = seconds * 10**9 + nanoseconds
            *complete, buffers[sock] = (buffers[sock] + chunk).split(b"\n")
            arrivals += [(stamp, i, sock, line.decode()) for i, line in enumerate(complete)]
        for _, _, sock, line in sorted(arrivals, key=lambda a: (a[0], a[1])):
            words = line.split()
            if words[0] == "SET":
                data[words[1]] = words[2]
                reply = "OK"
            else:
                reply = data.get(words[1], "NONE")
            sock.sendall((reply + "\n").encode())


def reader(store_port, port, out):
    srv = listener(port)
    s = connect(store_port)
    conn, _ = srv.accept()
    for line in lines(conn):
        if line == "go":
            s.sendall(b"GET x\n")
            answer = next(lines(s))
            with open(out, "w") as f:
                f.write(answer + "\n")
            break
    s.close()
    conn.close()


def writer(store_port, reader_port):
    s = connect(store_port)
    r = connect(reader_port)
    for piece in (b"SET ", b"x ", b"1", b"\n"):
        s.sendall(piece)  # BUG: no wait for OK before telling the reader
        time.sleep(0.0005)
    r.sendall(b"go\n")
    next(lines(s))  # the OK, too late to matter
    s.close()
    r.close()


def main():
    role = sys.argv[1]
    if role == "store":
        store(int(sys.argv[2]), 2)
    elif role == "reader":
        reader(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif role == "writer":
        writer(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("usage: kvrace.py store PORT | reader STORE_PORT PORT OUT | writer STORE_PORT READER_PORT")


if __name__ == "__main__":
    main()
