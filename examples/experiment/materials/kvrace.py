#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A three-process key-value system with an ordering bug, for nmz's
bundled experiment. All traffic is TCP on 127.0.0.1.

  store   holds keys; a connection sends "SET k v" or "GET k" lines.
  reader  connects to the store, waits for "go" from the writer, then
          reads key x and records what it saw.
  writer  connects to the store and to the reader, sets x, then tells the
          reader to go.

The bug: the writer sends its SET and then "go" without waiting for the
store's OK, assuming the store has applied the SET before anyone it tells
can ask. The SET also goes out field by field (one small write each, as
an unbuffered serializer does), so the store applies it only when its last
piece arrives. On a quiet machine the SET is in the store long before the
reader's GET, so the reader nearly always sees "1"; when the network
reorders packets, the GET can overtake the SET and the reader sees NONE.
"""
import socket
import sys
import threading
import time


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
    data = {}
    lock = threading.Lock()
    srv = listener(port)

    def serve(conn):
        for line in lines(conn):
            words = line.split()
            with lock:
                if words[0] == "SET":
                    data[words[1]] = words[2]
                    reply = "OK"
                else:
                    reply = data.get(words[1], "NONE")
            conn.sendall((reply + "\n").encode())
        conn.close()

    threads = []
    for _ in range(clients):
        conn, _ = srv.accept()
        t = threading.Thread(target=serve, args=(conn,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


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
