# SPDX-License-Identifier: Apache-2.0
"""Shared by the rest suite's tests: start `nmz orchestrator` on a free
loopback port and talk HTTP to it with the standard library only."""
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time

NMZ = os.environ["NMZ_BIN"]


class Orchestrator:
    """`nmz orchestrator CONFIG` with restPort = 0; .port is the bound port."""

    def __init__(self, config_text, env=None, address="127\\.0\\.0\\.1"):
        self.dir = tempfile.TemporaryDirectory(prefix="nmz-rest-")
        path = os.path.join(self.dir.name, "config.toml")
        with open(path, "w") as f:
            f.write("restPort = 0\n" + config_text)
        self.log_path = os.path.join(self.dir.name, "orchestrator.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([NMZ, "orchestrator", path], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **(env or {})))
        self.port = None
        deadline = time.time() + 10
        while time.time() < deadline and self.port is None:
            with open(self.log_path) as f:
                m = re.search(r"listening on http://" + address + r":(\d+)/api/v3", f.read())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.05)
        if self.port is None:
            self.stop()
            raise RuntimeError("orchestrator did not start:\n" + self.output())

    def url(self):
        return "http://127.0.0.1:%d/api/v3" % self.port

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("orchestrator did not stop within 15 s of SIGTERM")
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.dir.cleanup()


def request(port, method, path, body=None, timeout=10):
    """Returns (status, content_type, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data is not None else {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read().decode()
    finally:
        conn.close()


def wait_until_registered(port, entity, timeout=30):
    """Returns once the orchestrator has handled a request for `entity`
    (its first POST or GET registers it): a DELETE of an action nobody has
    answers 404 only while the entity is unknown (403 when it belongs to
    another client, 200 otherwise; neither touches a queued action or a
    parked GET). The endpoint serves requests one at a time in order, so a
    parked GET's entity is registered when its GET is parked."""
    deadline = time.time() + timeout
    while True:
        status, _, body = request(port, "DELETE", "/api/v3/actions/%s/readiness-probe" % entity)
        if status != 404:
            return
        if time.time() > deadline:
            raise AssertionError("entity %s was not registered within %d s: %d %s" % (entity, timeout, status, body))
        time.sleep(0.02)


def nmz(*args, timeout=180):
    """Runs the nmz binary; returns the CompletedProcess with text output."""
    return subprocess.run([NMZ, *args], capture_output=True, text=True, timeout=timeout)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def status_field(pid, field):
    """An integer field of /proc/PID/status (e.g. "Threads", "VmRSS")."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(field)


def check(condition, message):
    if not condition:
        raise AssertionError(message)
