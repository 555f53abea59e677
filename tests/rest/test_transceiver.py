#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The remote transceiver: `nmz inspectors rest-probe -orchestrator-url
http://...` against a real `nmz orchestrator` on loopback: every deferred
event answered over REST; faults arrive; an orchestrator killed midway or
never there makes the inspector fail open after NMZ_ORCHESTRATOR_TIMEOUT
with a warning instead of hanging; bad urls are refused."""
import http.server
import json
import os
import threading
import uuid
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nmz_helpers import NMZ, Orchestrator, check, wait_until_registered  # noqa: E402


def probe(url, *flags, env_extra=None, timeout=60):
    env = dict(os.environ, **(env_extra or {}))
    start = time.time()
    p = subprocess.run([NMZ, "inspectors", "rest-probe", "-orchestrator-url", url, "-entity-id", "probe1", *flags],
                       capture_output=True, text=True, timeout=timeout, env=env)
    return p, time.time() - start


def counts(stdout):
    m = re.search(r"probe: (\d+) accepted, (\d+) faulted, (\d+) failed-open", stdout)
    check(m, "no probe line in %r" % stdout)
    return tuple(int(x) for x in m.groups())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NamazuLikeHandler(http.server.BaseHTTPRequestHandler):
    """Namazu's REST v3 as its Go endpoint behaves: one action per GET,
    query parameters ignored, no batch route (404), every event accepted."""
    protocol_version = "HTTP/1.1"
    queue = []
    cond = threading.Condition()
    requests = []

    def reply(self, status, body=b"{}\n"):
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        parts = self.path.split("?")[0].strip("/").split("/")
        NamazuLikeHandler.requests.append(("POST", self.path))
        if len(parts) != 5 or parts[:3] != ["api", "v3", "events"]:
            return self.reply(404, b"404 page not found\n")
        event = json.loads(body)
        action = {"uuid": str(uuid.uuid4()), "entity": event["entity"], "type": "action",
                  "class": "EventAcceptanceAction", "event_uuid": event["uuid"], "option": {}}
        with self.cond:
            self.queue.append(action)
            self.cond.notify_all()
        self.reply(200)

    def do_GET(self):
        NamazuLikeHandler.requests.append(("GET", self.path))
        with self.cond:
            self.cond.wait_for(lambda: self.queue, timeout=30)
            head = dict(self.queue[0]) if self.queue else None
        self.reply(200, json.dumps(head).encode()) if head else self.reply(500, b"timeout")

    def do_DELETE(self):
        NamazuLikeHandler.requests.append(("DELETE", self.path))
        action_uuid = self.path.rstrip("/").split("/")[-1]
        with self.cond:
            self.queue[:] = [a for a in self.queue if a["uuid"] != action_uuid]
        self.reply(200)

    def log_message(self, *args):
        pass


def test_against_namazu_like_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NamazuLikeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        p, _ = probe("http://127.0.0.1:%d/api/v3" % server.server_address[1], "-events", "30")
    finally:
        server.shutdown()
        server.server_close()
    check(p.returncode == 0 and counts(p.stdout) == (30, 0, 0), p.stdout + p.stderr)
    check("does not batch" in p.stderr and "no event batches" in p.stderr, p.stderr)
    deletes = [r for r in NamazuLikeHandler.requests if r[0] == "DELETE"]
    single_posts = [r for r in NamazuLikeHandler.requests if r[0] == "POST" and r[1].count("/") == 5]
    check(len(deletes) == 30 and len(single_posts) == 30, "Namazu exchange: %d DELETEs, %d POSTs" %
          (len(deletes), len(single_posts)))


def main():
    test_against_namazu_like_endpoint()
    with Orchestrator('explorePolicy = "dumb"\n') as o:
        p, took = probe(o.url(), "-events", "200")
        check(p.returncode == 0, "probe exit %d: %s" % (p.returncode, p.stderr))
        check(counts(p.stdout) == (200, 0, 0), p.stdout)
        print("200 deferred events over REST in %.2fs" % took)

    # A policy that faults everything: PacketFaultActions come back.
    with Orchestrator('explorePolicy = "test-fault-all"\n') as o:
        p, _ = probe(o.url(), "-events", "20")
        check(p.returncode == 0, p.stderr)
        check(counts(p.stdout) == (0, 20, 0), "faults did not reach the inspector: " + p.stdout)

    # The orchestrator dies (SIGKILL, no goodbye) while events are held 300 ms each.
    o = Orchestrator('explorePolicy = "dumb"\n[explorePolicyParam]\ninterval = "300ms"\n')
    try:
        proc = subprocess.Popen([NMZ, "inspectors", "rest-probe", "-orchestrator-url", o.url(), "-entity-id", "probe1",
                                 "-events", "40"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, NMZ_ORCHESTRATOR_TIMEOUT="1s"))
        wait_until_registered(o.port, "probe1")  # its first event is held now
        o.proc.kill()
        o.proc.wait()
        start = time.time()
        out, err = proc.communicate(timeout=40)
        took = time.time() - start
    finally:
        o.stop()
        o.dir.cleanup()
    check(proc.returncode == 0, "probe exit %d after the orchestrator died: %s" % (proc.returncode, err))
    accepted, faulted, failed_open = counts(out)
    check(accepted == 40 and failed_open == 0, "events were not all let through: " + out)
    # Loud: an error naming the outage, not a quiet warning (the run's results are unperturbed).
    check("FAILING OPEN" in err and "unreachable" in err and "[NMZ-E]" in err.split("FAILING OPEN")[0].splitlines()[-1],
          "no fail-open error: " + err)
    check(took < 30, "finishing after the orchestrator died took %.1fs" % took)
    print("orchestrator killed: the rest let through in %.1fs" % took)

    # Nobody listening at all.
    p, took = probe("http://127.0.0.1:%d/api/v3" % free_port(), "-events", "3",
                    env_extra={"NMZ_ORCHESTRATOR_TIMEOUT": "500ms"})
    check(p.returncode == 0 and counts(p.stdout) == (3, 0, 0), p.stdout + p.stderr)
    check("FAILING OPEN" in p.stderr and "unperturbed" in p.stderr, p.stderr)
    check(took < 15, "took %.1fs" % took)

    for url, text in [("http://127.0.0.1:99999/api/v3", "99999"), ("ftp://x/api/v3", "strange orchestrator url")]:
        p, _ = probe(url, "-events", "1")
        check(p.returncode == 2 and text in p.stderr, "%s: %d %s" % (url, p.returncode, p.stderr))
    p, _ = probe("http://127.0.0.1:1/api/v3", "-events", "1", env_extra={"NMZ_ORCHESTRATOR_TIMEOUT": "soon"})
    check(p.returncode == 2 and "NMZ_ORCHESTRATOR_TIMEOUT" in p.stderr, p.stderr)
    print("ok")


if __name__ == "__main__":
    main()
