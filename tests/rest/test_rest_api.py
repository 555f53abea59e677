#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""REST API v3 conformance of `nmz orchestrator`: Namazu's wire format (the
shapes of doc/schema/example/{PacketEvent,LogEvent}.json and of
EventAcceptanceAction), long-poll semantics, malformed requests, a vanished
long-poller, a superseded long-poller, control ops and concurrent entities
with one entity that never polls. Loopback only."""
import http.client
import json
import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nmz_helpers import Orchestrator, check, request, wait_until_registered  # noqa: E402

JSON_CT = "application/json; charset=UTF-8"


def packet_event(entity, event_uuid):
    # The shape of Namazu's doc/schema/example/PacketEvent.json (pynmz style:
    # src/dst entities, a message object, a top-level replay_hint).
    return {
        "type": "event", "class": "PacketEvent", "entity": entity, "uuid": event_uuid, "deferred": True,
        "option": {"src_entity": "zksrv1", "dst_entity": "zksrv2",
                   "message": {"zxid": 4294967296, "type": "FLE_NOTIFICATION"}},
        "replay_hint": "zksrv1->zksrv2:FLE_NOTIFICATION",
    }


def log_event(entity, event_uuid):
    # Namazu's doc/schema/example/LogEvent.json: not deferred, option src + message.
    return {"type": "event", "class": "LogEvent", "entity": entity, "uuid": event_uuid, "deferred": False,
            "option": {"src": "zksrv1", "message": "LEADING - LEADER ELECTION TOOK - 123"}}


def post_event(port, event):
    return request(port, "POST", "/api/v3/events/%s/%s" % (event["entity"], event["uuid"]), event)


def round_trip(port, entity):
    ev = packet_event(entity, str(uuid.uuid4()))
    status, _, body = post_event(port, ev)
    check(status == 200, "POST: %d %s" % (status, body))
    status, _, body = request(port, "GET", "/api/v3/actions/" + entity, timeout=30)
    check(status == 200, "GET: %d %s" % (status, body))
    action = json.loads(body)
    check(action["event_uuid"] == ev["uuid"], "action for the wrong event: %s" % body)
    status, _, _ = request(port, "DELETE", "/api/v3/actions/%s/%s" % (entity, action["uuid"]))
    check(status == 200, "DELETE: %d" % status)


def test_wire_format(port):
    status, ctype, body = request(port, "GET", "/")
    check(status == 200 and body.startswith("Hello Namazu!"), "GET / -> %d %r" % (status, body))

    ev = packet_event("zk-ether", str(uuid.uuid4()))
    status, ctype, body = post_event(port, ev)
    check((status, ctype, body) == (200, JSON_CT, "{}\n"), "POST event -> %r" % ((status, ctype, body),))

    status, ctype, body = request(port, "GET", "/api/v3/actions/zk-ether")
    check(status == 200 and ctype == JSON_CT, "GET action -> %d %s %s" % (status, ctype, body))
    action = json.loads(body)
    for key in ("uuid", "entity", "type", "class", "event_uuid", "option"):
        check(key in action, "action lacks %r: %s" % (key, body))
    check(action["type"] == "action" and action["class"] == "EventAcceptanceAction", body)
    check(action["entity"] == "zk-ether" and action["event_uuid"] == ev["uuid"], body)
    uuid.UUID(action["uuid"])

    # GET peeks: the same action again until it is deleted.
    status, _, again = request(port, "GET", "/api/v3/actions/zk-ether/")  # trailing slash accepted
    check(status == 200 and json.loads(again)["uuid"] == action["uuid"], "second GET differs: " + again)
    status, ctype, body = request(port, "DELETE", "/api/v3/actions/zk-ether/" + action["uuid"])
    check((status, body) == (200, "{}\n"), "DELETE -> %d %r" % (status, body))
    status, _, body = request(port, "DELETE", "/api/v3/actions/zk-ether/" + action["uuid"])
    check((status, body) == (200, "{}\n"), "DELETE is idempotent -> %d %r" % (status, body))

    # A non-deferred LogEvent gets a NopAction, which stays on the orchestrator.
    status, _, body = post_event(port, log_event("syslog", str(uuid.uuid4())))
    check(status == 200, "POST LogEvent -> %d %s" % (status, body))
    try:
        request(port, "GET", "/api/v3/actions/syslog", timeout=0.5)
        raise AssertionError("a NopAction reached the inspector")
    except socket.timeout:
        pass


def test_malformed(port):
    u = str(uuid.uuid4())
    cases = [
        ("POST", "/api/v3/events/e/" + u, '{"uuid": "%s", "entity": "e", "type": "event", ' % u, 400, "malformed JSON"),
        ("POST", "/api/v3/events/e/" + u, dict(packet_event("e", u), **{"class": "WeirdEvent"}), 400,
         'unknown event class "WeirdEvent"'),
        ("POST", "/api/v3/events/e/" + u, packet_event("e", str(uuid.uuid4())), 400, "uuid mismatch"),
        ("POST", "/api/v3/events/e/" + u, packet_event("other", u), 400, "entity mismatch"),
        ("POST", "/api/v3/events/e/" + u, dict(packet_event("e", u), type="action"), 400, '"type" must be "event"'),
        ("POST", "/api/v3/events/e/" + u, dict(packet_event("e", u), option=[1]), 400, '"option" must be an object'),
        ("GET", "/api/v3/nothing", None, 404, "no such route"),
        ("POST", "/api/v2/events/e/" + u, packet_event("e", u), 404, "no such route"),
        ("POST", "/api/v3/control?op=crash", "", 400, 'unknown control op "crash"'),
    ]
    for method, path, body, want_status, want_text in cases:
        status, ctype, text = request(port, method, path, body)
        check(status == want_status and want_text in text,
              "%s %s: want %d with %r, got %d %r" % (method, path, want_status, want_text, status, text[:200]))
        check(ctype.startswith("text/plain"), "%s %s: errors are text/plain, got %s" % (method, path, ctype))
    # A body over the limit is refused from its declared length, before it is
    # sent: the server answers and closes, so the client sends the head only.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(("POST /api/v3/events/e/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\n\r\n" % (u, 2 << 20)).encode())
        answer = b""
        while True:
            chunk = raw.recv(65536)
            if not chunk:
                break
            answer += chunk
        head, _, text = answer.decode(errors="replace").partition("\r\n\r\n")
        check(head.startswith("HTTP/1.1 413") and "larger than" in text and "text/plain" in head,
              "a 2 MiB declared body: want 413 with 'larger than', got %r" % answer[:300])
    # A duplicate uuid while the first is pending is refused, the first kept.
    ev = packet_event("dup", str(uuid.uuid4()))
    check(post_event(port, ev)[0] == 200, "first POST")
    status, _, text = post_event(port, ev)
    check(status == 400 and "already pending" in text or status == 200, "duplicate POST: %d %s" % (status, text))
    round_trip(port, "after-malformed")


def test_batch_extension(port):
    # nmz's GET ?max=N&ack=UUIDS: delete the acknowledged actions, then
    # return up to N as a JSON array (marked X-Nmz-Batch: 1).
    events = [packet_event("batch", str(uuid.uuid4())) for _ in range(5)]
    for ev in events:
        check(post_event(port, ev)[0] == 200, "POST")
    deadline = time.time() + 5
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/v3/actions/batch?max=3")
        resp = conn.getresponse()
        body = resp.read().decode()
        marker = resp.getheader("X-Nmz-Batch")
        conn.close()
        first = json.loads(body)
        if len(first) == 3 or time.time() > deadline:
            break
        time.sleep(0.05)
    check(resp.status == 200 and marker == "1", "batched GET: %d %s" % (resp.status, marker))
    check([a["event_uuid"] for a in first] == [e["uuid"] for e in events[:3]], "batch order: %s" % body)
    acks = ",".join(a["uuid"] for a in first)
    status, _, body = request(port, "GET", "/api/v3/actions/batch?max=10&ack=" + acks)
    rest = json.loads(body)
    check(status == 200 and [a["event_uuid"] for a in rest] == [e["uuid"] for e in events[3:]], "after ack: " + body)
    status, _, body = request(port, "GET", "/api/v3/actions/batch?max=0")
    check(status == 400 and "expected 1 to 1024" in body, "max=0: %d %s" % (status, body))
    # Without the parameters it is Namazu's exchange: one object, no marker.
    status, _, body = request(port, "GET", "/api/v3/actions/batch")
    check(status == 200 and json.loads(body)["event_uuid"] == events[3]["uuid"], body)


def test_event_batch_extension(port):
    # nmz's POST /api/v3/events/{entity} with a JSON array.
    events = [packet_event("eb", str(uuid.uuid4())) for _ in range(3)]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/api/v3/events/eb", body=json.dumps(events))
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    check(resp.status == 200 and resp.getheader("X-Nmz-Batch") == "1" and json.loads(body) == {"refused": []},
          "event batch: %d %s" % (resp.status, body))
    seen = []
    while len(seen) < 3:
        status, _, body = request(port, "GET", "/api/v3/actions/eb?max=10&ack=" + ",".join(a["uuid"] for a in seen))
        seen = [a for a in json.loads(body)] if len(json.loads(body)) >= 3 else seen
        if len(seen) < 3:
            time.sleep(0.05)
    check([a["event_uuid"] for a in seen] == [e["uuid"] for e in events], "batch actions out of order")
    again = [events[0], packet_event("eb", str(uuid.uuid4()))]
    status, _, body = request(port, "POST", "/api/v3/events/eb", again)
    refused = json.loads(body)["refused"]
    check(status == 200 and [r["uuid"] for r in refused] in ([], [events[0]["uuid"]]), "duplicate in a batch: " + body)
    bad = [packet_event("eb", str(uuid.uuid4())), packet_event("other", str(uuid.uuid4()))]
    status, _, body = request(port, "POST", "/api/v3/events/eb", bad)
    check(status == 400 and "event 1 of the batch: entity mismatch" in body, "bad batch: %d %s" % (status, body))
    status, _, body = request(port, "POST", "/api/v3/events/eb", {"not": "an array"})
    check(status == 400 and "expected a JSON array" in body, "non-array batch: %d %s" % (status, body))
    status, _, body = request(port, "POST", "/api/v3/events/eb", '[{"entity": "eb"')
    check(status == 400 and "bad event batch: not valid JSON" in body, "truncated batch: %d %s" % (status, body))


def test_vanished_and_superseded_pollers(port):
    # 50 clients start a long-poll and vanish without reading the answer.
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /api/v3/actions/vanish%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
        s.close()
    time.sleep(0.2)
    # Nothing is lost: an event posted now is there for the next poller.
    ev = packet_event("vanish0", str(uuid.uuid4()))
    check(post_event(port, ev)[0] == 200, "POST after vanished pollers")
    status, _, body = request(port, "GET", "/api/v3/actions/vanish0")
    check(status == 200 and json.loads(body)["event_uuid"] == ev["uuid"], "action after a vanished poller: " + body)
    # and other entities are served at once.
    start = time.time()
    round_trip(port, "bystander")
    check(time.time() - start < 2, "a round trip took %.1fs next to vanished pollers" % (time.time() - start))

    # A newer GET for the same entity supersedes the older one.
    results = {}
    old = threading.Thread(target=lambda: results.setdefault("old", request(port, "GET", "/api/v3/actions/twice", timeout=10)))
    old.start()
    wait_until_registered(port, "twice")
    new = threading.Thread(target=lambda: results.setdefault("new", request(port, "GET", "/api/v3/actions/twice", timeout=10)))
    new.start()
    old.join(5)
    check("old" in results and results["old"][0] == 409 and "superseded" in results["old"][2],
          "older GET: %r" % (results.get("old"),))
    ev = packet_event("twice", str(uuid.uuid4()))
    post_event(port, ev)
    new.join(5)
    check(results.get("new", (0,))[0] == 200 and json.loads(results["new"][2])["event_uuid"] == ev["uuid"],
          "newer GET: %r" % (results.get("new"),))


def test_concurrent_entities(port):
    # One entity gets actions and never polls: nobody else may wait for it.
    for _ in range(20):
        post_event(port, packet_event("sleeper", str(uuid.uuid4())))
    errors = []

    def worker(i):
        try:
            for _ in range(30):
                round_trip(port, "entity%d" % i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("entity%d: %s" % (i, e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not errors, "; ".join(errors))
    check(all(not t.is_alive() for t in threads), "a worker hung")
    print("16 entities x 30 round trips: %.2fs" % (time.time() - start))


def test_control(port_config):
    # skipInitOrchestrator starts disabled: events pass at once although the
    # policy would hold each one 700 ms; enabling brings the policy back.
    with Orchestrator('explorePolicy = "dumb"\nskipInitOrchestrator = true\n'
                      '[explorePolicyParam]\ninterval = "700ms"\n') as o:
        def timed():
            t = time.time()
            round_trip(o.port, "ctl")
            return time.time() - t
        check(timed() < 0.5, "disabled orchestration still delayed the event")
        status, _, body = request(o.port, "POST", "/api/v3/control?op=enableOrchestration")
        check(status == 200 and body == "", "enable -> %d %r" % (status, body))
        timed()  # the first after enabling may be released without waiting
        check(timed() >= 0.6, "enabled orchestration did not apply the policy's interval")
        status, _, _ = request(o.port, "POST", "/api/v3/control?op=disableOrchestration")
        check(status == 200, "disable")
        check(timed() < 0.5, "disableOrchestration did not take effect")
        check("orchestration enabled" in o.output() and "orchestration disabled" in o.output(), o.output())


def main():
    with Orchestrator('explorePolicy = "dumb"\n') as o:
        test_wire_format(o.port)
        test_malformed(o.port)
        test_batch_extension(o.port)
        test_event_batch_extension(o.port)
        test_vanished_and_superseded_pollers(o.port)
        test_concurrent_entities(o.port)
        start = time.time()
        o.stop()
        check(time.time() - start < 5, "stopping with parked long-polls took %.1fs" % (time.time() - start))
        check(o.proc.returncode == 0, "orchestrator exit status %s:\n%s" % (o.proc.returncode, o.output()))
    test_control(None)
    print("ok")


if __name__ == "__main__":
    main()
