#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What anyone who can reach the REST port can try, against a real `nmz
orchestrator` over real sockets: deeply nested JSON, oversized bodies
(Content-Length and chunked), 1,100 parked long-polls on distinct entities,
1,100 slowloris sockets, a stalled request, another client's entity,
numbers out of range, browser requests (Origin, form content types), the
shared token, binding beyond loopback, and pipelined requests."""
import json
import os
import resource
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nmz_helpers import Orchestrator, check, request, status_field  # noqa: E402

MANY = 1100


_unread = {}


def read_response(sock):
    """One HTTP response from a socket: (status, headers text, body); keeps what follows for the next call."""
    data = _unread.pop(sock.fileno(), b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed before a response: %r" % data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    _unread[sock.fileno()] = rest[length:]
    return int(head.split(b" ")[1]), head.decode(), rest[:length].decode(errors="replace")


def event(entity, event_uuid=None, option=None):
    return {"type": "event", "class": "PacketEvent", "entity": entity, "uuid": event_uuid or str(uuid.uuid4()),
            "deferred": True, "option": option or {}}


def post(port, entity, body, headers=None):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        ev_uuid = body["uuid"] if isinstance(body, dict) else str(uuid.uuid4())
        data = json.dumps(body) if isinstance(body, dict) else body
        conn.request("POST", "/api/v3/events/%s/%s" % (entity, ev_uuid), body=data,
                     headers=dict({"Content-Type": "application/json"}, **(headers or {})))
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def round_trip(port, entity, headers=None):
    """POST, GET, DELETE on fresh connections; raises unless all succeed."""
    import http.client
    ev = event(entity)
    status, body = post(port, entity, ev, headers)
    check(status == 200, "POST %s: %d %s" % (entity, status, body))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/v3/actions/" + entity, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read().decode()
    check(resp.status == 200, "GET %s: %d %s" % (entity, resp.status, body))
    action = json.loads(body)
    check(action["event_uuid"] == ev["uuid"], body)
    conn.request("DELETE", "/api/v3/actions/%s/%s" % (entity, action["uuid"]), headers=headers or {})
    resp = conn.getresponse()
    check(resp.status == 200, "DELETE: %d" % resp.status)
    resp.read()
    conn.close()


def test_nesting_and_numbers(o):
    deep = '{"type":"event","class":"PacketEvent","entity":"e","uuid":"u","deferred":true,"option":{"x":' + \
        "[" * 150000 + "]" * 150000 + "}}"
    status, body = post(o.port, "e", deep)
    check(status == 400 and "nested deeper than 400" in body, "deep JSON -> %d %s" % (status, body[:200]))
    status, body = post(o.port, "e", '{"type":"event","class":"PacketEvent","entity":"e","uuid":"%s",'
                        '"deferred":true,"option":{"x":1e999999}}' % uuid.uuid4())
    check(status == 400 and "bad event" in body and "number" in body, "1e999999 -> %d %s" % (status, body))
    round_trip(o.port, "after-bad-json")
    print("nesting and numbers: ok")


def test_body_limits(o):
    rss_before = status_field(o.proc.pid, "VmRSS")
    # Declared too large: refused before a byte of the body is sent.
    with socket.create_connection(("127.0.0.1", o.port), timeout=10) as s:
        s.sendall(b"POST /api/v3/events/e/u HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 104857600\r\n\r\n")
        status, _, body = read_response(s)
        check(status == 413 and "larger than 1048576" in body, "Content-Length 100 MiB -> %d %s" % (status, body))
    # Chunked: refused as soon as the chunks pass 1 MiB, long before 100 MiB.
    sent = 0
    with socket.create_connection(("127.0.0.1", o.port), timeout=10) as s:
        s.sendall(b"POST /api/v3/events/e/u HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        try:
            while sent < 100 * 1024 * 1024:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            status, _, body = read_response(s)
        except (ConnectionResetError, AssertionError):
            status, body = None, ""
    check(sent < 100 * 1024 * 1024, "the server read a 100 MiB chunked body")
    if status is not None:
        check(status == 413, "chunked 100 MiB -> %s %s" % (status, body))
    # One huge chunk announced at once is refused by its size line.
    with socket.create_connection(("127.0.0.1", o.port), timeout=10) as s:
        s.sendall(b"POST /api/v3/events/e/u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"6400000\r\n")
        status, _, body = read_response(s)
        check(status == 413, "a 100 MiB chunk -> %d %s" % (status, body))
    rss_after = status_field(o.proc.pid, "VmRSS")
    check(rss_after - rss_before < 64 * 1024, "memory grew by %d KiB" % (rss_after - rss_before))
    round_trip(o.port, "after-big-bodies")
    print("body limits: ok (%d bytes sent before the refusal)" % sent)


def test_many_long_polls(o):
    socks = []
    try:
        for i in range(MANY):
            s = socket.create_connection(("127.0.0.1", o.port), timeout=10)
            s.sendall(("GET /api/v3/actions/poller-%d HTTP/1.1\r\nHost: x\r\n\r\n" % i).encode())
            socks.append(s)
        # Wait until the endpoint has read them (a round trip after them is served after them).
        round_trip(o.port, "beside-the-pollers")
        threads = status_field(o.proc.pid, "Threads")
        check(threads < 64, "%d threads with %d parked long-polls" % (threads, MANY))
        print("%d parked long-polls: served beside them, %d threads" % (MANY, threads))
    finally:
        for s in socks:
            s.close()
    round_trip(o.port, "after-the-pollers")


def test_slowloris(o):
    socks = []
    try:
        for i in range(MANY):
            s = socket.create_connection(("127.0.0.1", o.port), timeout=10)
            s.sendall(b"POST /api/v3/events/slow/u HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        start = time.time()
        round_trip(o.port, "beside-slowloris")
        check(time.time() - start < 5, "a round trip beside %d slow sockets took %.1fs" % (MANY, time.time() - start))
    finally:
        for s in socks:
            s.close()
    # A stalled request is closed after the request timeout (10 s).
    with socket.create_connection(("127.0.0.1", o.port), timeout=30) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost")
        start = time.time()
        data = s.recv(65536)
        while data and b"\r\n\r\n" not in data:
            data += s.recv(65536)
        took = time.time() - start
        check(8 <= took < 25, "a stalled request was closed after %.1fs" % took)
    print("%d slowloris sockets: served beside them; a stalled request closed after %.1fs" % (MANY, took))


def test_entity_binding(o):
    a = {"X-Nmz-Client": "client-a"}
    b = {"X-Nmz-Client": "client-b"}
    ev = event("bound")
    status, body = post(o.port, "bound", ev, a)
    check(status == 200, body)
    for headers in (b, {}):
        status, _, body = request_with(o.port, "GET", "/api/v3/actions/bound", headers)
        check(status == 403 and "belongs to another client" in body, "%r GET -> %d %s" % (headers, status, body))
        status, _, body = request_with(o.port, "DELETE", "/api/v3/actions/bound/x", headers)
        check(status == 403, "%r DELETE -> %d %s" % (headers, status, body))
        status, body = post(o.port, "bound", event("bound"), headers)
        check(status == 403, "%r POST -> %d %s" % (headers, status, body))
    status, _, body = request_with(o.port, "GET", "/api/v3/actions/bound", a)
    check(status == 200 and json.loads(body)["event_uuid"] == ev["uuid"], body)
    print("entity binding: ok")


def request_with(port, method, path, headers, body=None):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read().decode()
    finally:
        conn.close()


def test_browser_requests(o):
    ev = event("browser")
    status, _, body = request_with(o.port, "POST", "/api/v3/events/browser/" + ev["uuid"],
                                   {"Origin": "http://evil.example", "Content-Type": "application/json"},
                                   json.dumps(ev))
    check(status == 403 and "cross-origin" in body, "Origin -> %d %s" % (status, body))
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        status, _, body = request_with(o.port, "POST", "/api/v3/events/browser/" + ev["uuid"],
                                       {"Content-Type": ctype}, json.dumps(ev))
        check(status == 415 and "Content-Type" in body, "%s -> %d %s" % (ctype, status, body))
    status, _, body = request_with(o.port, "POST", "/api/v3/events/browser/" + ev["uuid"],
                                   {"Content-Type": "application/json; charset=utf-8"}, json.dumps(ev))
    check(status == 200, "JSON with charset -> %d %s" % (status, body))
    print("browser requests: ok")


def test_pipelining(o):
    ev = event("piped")
    body = json.dumps(ev).encode()
    with socket.create_connection(("127.0.0.1", o.port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
                  b"POST /api/v3/events/piped/" + ev["uuid"].encode() +
                  b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                  str(len(body)).encode() + b"\r\n\r\n" + body +
                  b"GET /api/v3/actions/piped HTTP/1.1\r\nHost: x\r\n\r\n" +
                  b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        statuses = [read_response(s) for _ in range(4)]
    check([st for st, _, _ in statuses] == [200, 200, 200, 404], "pipelined: %r" % statuses)
    check(json.loads(statuses[2][2])["event_uuid"] == ev["uuid"], statuses[2][2])
    print("pipelining: ok")


def test_token():
    for config, env in (('restToken = "s3cret"\n', None), ("", {"NMZ_REST_TOKEN": "s3cret"})):
        with Orchestrator('explorePolicy = "dumb"\n' + config, env=env) as o:
            status, _, body = request_with(o.port, "GET", "/api/v3/actions/t", {})
            check(status == 401 and "token" in body, "no token -> %d %s" % (status, body))
            status, _, body = request_with(o.port, "GET", "/api/v3/actions/t", {"Authorization": "Bearer wrong"})
            check(status == 401, "wrong token -> %d %s" % (status, body))
            round_trip(o.port, "with-token", {"Authorization": "Bearer s3cret"})
            check("beyond loopback" not in o.output(), o.output())
    print("token: ok")


def test_beyond_loopback_warning():
    with Orchestrator('explorePolicy = "dumb"\nrestAddress = "0.0.0.0"\n', address=r"0\.0\.0\.0") as o:
        check("beyond loopback" in o.output() and "restToken" in o.output(), o.output())
    print("beyond loopback without a token: warned")


def test_autopilot_serves_rest():
    """docs/rest-api.md: an autopilot inspector whose config sets restPort serves REST."""
    import re
    import signal
    import subprocess
    import tempfile
    from nmz_helpers import NMZ
    with tempfile.TemporaryDirectory(prefix="nmz-rest-") as tmp:
        config = os.path.join(tmp, "config.toml")
        with open(config, "w") as f:
            f.write('explorePolicy = "dumb"\nrestPort = 0\n')
        log_path = os.path.join(tmp, "inspector.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen([NMZ, "inspectors", "rest-probe", "-autopilot", config, "-entity-id", "local",
                                     "-events", "600", "-interval", "100ms"], stdout=log, stderr=subprocess.STDOUT)
        try:
            port = None
            deadline = time.time() + 10
            while port is None and time.time() < deadline and proc.poll() is None:
                with open(log_path) as f:
                    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/api/v3", f.read())
                port = int(m.group(1)) if m else None
                time.sleep(0.05)
            check(port is not None, "the autopilot inspector serves no REST: " + open(log_path).read())
            round_trip(port, "remote-beside-autopilot")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
    print("autopilot with restPort: serves REST")


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2 * MANY + 100:
        print("RLIMIT_NOFILE hard limit %d is too low for %d sockets" % (hard, MANY))
        sys.exit(77)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * MANY)), hard))
    with Orchestrator('explorePolicy = "dumb"\n') as o:
        test_nesting_and_numbers(o)
        test_body_limits(o)
        test_entity_binding(o)
        test_browser_requests(o)
        test_pipelining(o)
        test_many_long_polls(o)
        test_slowloris(o)
        status, _, body = request(o.port, "GET", "/")
        check(status == 200, body)
    test_token()
    test_beyond_loopback_warning()
    test_autopilot_serves_rest()
    print("ok")


if __name__ == "__main__":
    main()
