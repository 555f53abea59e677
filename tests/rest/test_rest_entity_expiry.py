#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""REST entities are bounded and expire, against a real `nmz orchestrator`
over real sockets: 5,000 distinct entity names pass through an endpoint
that allows 1,000 at once (restMaxEntities) and forgets idle ones after 1 s
(restEntityExpiry); the cap answers a clear 503 and is logged as an error;
threads and memory stay bounded; an entity with an event held by the policy
or with a parked GET never expires; a late acknowledgment for an expired
entity gets 404."""
import json
import os
import re
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nmz_helpers import Orchestrator, check, status_field  # noqa: E402

NAMES = 5000
CAP = 1000
BATCH = 250


class Connection:
    """One keep-alive connection that pipelines requests and reads responses in order."""

    def __init__(self, port, client):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.client = client
        self.unread = b""

    def send(self, method, path, body=None):
        head = "%s %s HTTP/1.1\r\nHost: x\r\nX-Nmz-Client: %s\r\n" % (method, path, self.client)
        if body is not None:
            data = json.dumps(body).encode()
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
        else:
            data = b""
        self.sock.sendall(head.encode() + b"\r\n" + data)

    def read(self):
        while b"\r\n\r\n" not in self.unread:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("the server closed the connection")
            self.unread += chunk
        head, _, rest = self.unread.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("the server closed the connection mid-response")
            rest += chunk
        self.unread = rest[length:]
        return int(head.split(b" ")[1]), rest[:length].decode()

    def request(self, method, path, body=None):
        self.send(method, path, body)
        return self.read()

    def close(self):
        self.sock.close()


def event(entity):
    return {"type": "event", "class": "PacketEvent", "entity": entity, "uuid": str(uuid.uuid4()),
            "deferred": True, "option": {}}


def under_asan(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def wait_for(what, condition, seconds=30):
    deadline = time.time() + seconds
    while not condition():
        check(time.time() < deadline, "still not %s after %d s" % (what, seconds))
        time.sleep(0.05)


def test_many_names(o):
    """Every name gets a whole exchange (POST, GET, DELETE, each pipelined per batch of names); actions are
    acknowledged only once the cap refuses a name, which is retried once older entities expired."""
    conn = Connection(o.port, "many")
    refusals = 0
    refusal_text = ""
    rss_at_cap = None
    acked = {}
    unacked = {}
    pending = ["name-%d" % i for i in range(NAMES)]
    deadline = time.time() + 120
    while pending:
        check(time.time() < deadline, "%d names never got through" % len(pending))
        batch, pending = pending[:BATCH], pending[BATCH:]
        events = {name: event(name) for name in batch}
        for name in batch:
            conn.send("POST", "/api/v3/events/%s/%s" % (name, events[name]["uuid"]), events[name])
        refused = []
        for name in batch:
            status, body = conn.read()
            if status == 503:
                refusals += 1
                refusal_text = body
                refused.append(name)
            else:
                check(status == 200, "POST %s -> %d %s" % (name, status, body))
        # A refused entity's GET is not sent: it would register the entity and park, if room was made meanwhile.
        accepted = [name for name in batch if name not in refused]
        for name in accepted:
            conn.send("GET", "/api/v3/actions/" + name)
        for name in accepted:
            status, body = conn.read()
            check(status == 200, "GET %s -> %d %s" % (name, status, body))
            action = json.loads(body)
            check(action["event_uuid"] == events[name]["uuid"], body)
            unacked[name] = action["uuid"]
        if refused or not pending:
            # Unacknowledged actions keep their entities alive, so the cap is reached however slowly this runs;
            # acknowledged, they expire and make room.
            if refused and rss_at_cap is None:
                rss_at_cap = status_field(o.proc.pid, "VmRSS")
            for name, action_uuid in unacked.items():
                conn.send("DELETE", "/api/v3/actions/%s/%s" % (name, action_uuid))
            for name in unacked:
                status, body = conn.read()
                check(status == 200, "DELETE %s -> %d %s" % (name, status, body))
            acked.update(unacked)
            unacked = {}
        if refused:
            pending = refused + pending
            time.sleep(0.1)  # paces the retries; the deadline above bounds them
    conn.close()
    check(len(acked) == NAMES, "%d of %d names completed" % (len(acked), NAMES))
    check(refusals > 0, "the cap of %d entities was never reached" % CAP)
    check("too many REST entities" in refusal_text and "restMaxEntities" in refusal_text and
          "restEntityExpiry" in refusal_text, "the cap's answer: " + refusal_text)
    check(re.search(r"\[NMZ-E\].*REST entity limit reached", o.output()) is not None,
          "the cap is not logged as an error:\n" + o.output()[-2000:])
    threads = status_field(o.proc.pid, "Threads")
    check(threads < 32, "%d threads after %d entity names" % (threads, NAMES))
    rss_grew = status_field(o.proc.pid, "VmRSS") - rss_at_cap
    # ASan keeps freed memory in quarantine on purpose: there memory is not a measure of what is freed.
    if not under_asan(o.proc.pid):
        check(rss_grew < 16 * 1024, "memory grew by %d KiB from the cap to %d names" % (rss_grew, NAMES))
    print("%d entity names, %d at most at once: %d refusals at the cap, %d threads, memory %+d KiB since the cap" %
          (NAMES, CAP, refusals, threads, rss_grew))
    return acked


def bound_to_someone(port, entity):
    """A request from another client is refused while `entity` lives, and answered 404 once it expired."""
    conn = Connection(port, "stranger")
    try:
        status, body = conn.request("DELETE", "/api/v3/actions/%s/x" % entity)
    finally:
        conn.close()
    check(status in (403, 404), "a stranger's DELETE for %s -> %d %s" % (entity, status, body))
    return status == 403


def test_late_acknowledgment(o, acked):
    name, action_uuid = next(iter(acked.items()))
    wait_for("expired", lambda: not bound_to_someone(o.port, name))
    conn = Connection(o.port, "many")
    status, body = conn.request("DELETE", "/api/v3/actions/%s/%s" % (name, action_uuid))
    conn.close()
    check(status == 404 and "not registered" in body and "expired" in body,
          "a late acknowledgment -> %d %s" % (status, body))
    print("late acknowledgment of an expired entity: 404")


def test_held_entities_never_expire():
    """The dumb policy holds each event 2 s; entities expire after 0.3 s of holding nothing."""
    with Orchestrator('explorePolicy = "dumb"\nrestEntityExpiry = "300ms"\n'
                      '[explorePolicyParam]\ninterval = "2s"\n') as o:
        owner = Connection(o.port, "owner")
        # "idle" holds nothing once its GET's connection is gone.
        idle_poll = Connection(o.port, "owner")
        idle_poll.send("GET", "/api/v3/actions/idle")
        wait_for("registered", lambda: bound_to_someone(o.port, "idle"))
        idle_poll.close()
        # "held": an event the policy holds; "polled": a GET parked with nothing queued.
        ev = event("held")
        status, body = owner.request("POST", "/api/v3/events/held/" + ev["uuid"], ev)
        check(status == 200, body)
        poller = Connection(o.port, "owner")
        poller.send("GET", "/api/v3/actions/polled")
        wait_for("registered", lambda: bound_to_someone(o.port, "polled"))
        wait_for("expired", lambda: not bound_to_someone(o.port, "idle"))
        check(bound_to_someone(o.port, "held"), "the entity of a held event expired")
        check(bound_to_someone(o.port, "polled"), "an entity with a parked GET expired")
        status, body = owner.request("GET", "/api/v3/actions/held")
        check(status == 200 and json.loads(body)["event_uuid"] == ev["uuid"], "GET held -> %d %s" % (status, body))
        action_uuid = json.loads(body)["uuid"]
        check(bound_to_someone(o.port, "held"), "an entity with an unacknowledged action expired")
        check(owner.request("DELETE", "/api/v3/actions/held/" + action_uuid)[0] == 200, "DELETE held")
        polled_event = event("polled")
        status, body = owner.request("POST", "/api/v3/events/polled/" + polled_event["uuid"], polled_event)
        check(status == 200, body)
        status, body = poller.read()
        check(status == 200 and json.loads(body)["event_uuid"] == polled_event["uuid"],
              "the parked GET -> %d %s" % (status, body))
        check(poller.request("DELETE", "/api/v3/actions/polled/" + json.loads(body)["uuid"])[0] == 200,
              "DELETE polled")
        wait_for("expired", lambda: not bound_to_someone(o.port, "held"))
        status, body = owner.request("DELETE", "/api/v3/actions/held/" + action_uuid)
        check(status == 404 and "expired" in body, "a late acknowledgment -> %d %s" % (status, body))
        wait_for("expired", lambda: not bound_to_someone(o.port, "polled"))
        owner.close()
        poller.close()
        check("dropped" not in o.output(), o.output())
    print("held event, parked GET, unacknowledged action: their entities lived; expired once idle")


def main():
    with Orchestrator('explorePolicy = "dumb"\nrestMaxEntities = %d\nrestEntityExpiry = "1s"\n' % CAP) as o:
        acked = test_many_names(o)
        test_late_acknowledgment(o, acked)
    test_held_entities_never_expire()
    print("ok")


if __name__ == "__main__":
    main()
