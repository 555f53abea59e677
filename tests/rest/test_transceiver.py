#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The remote transceiver: `nmz inspectors rest-probe -orchestrator-url
http://...` against a real `nmz orchestrator` on loopback: every deferred
event answered over REST; faults arrive; an orchestrator killed midway or
never there makes the inspector fail open after NMZ_ORCHESTRATOR_TIMEOUT
with a warning instead of hanging; bad urls are refused."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nmz_helpers import NMZ, Orchestrator, check  # noqa: E402


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


def main():
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
        time.sleep(1.5)
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
    check("fail open" in err and "unreachable" in err, "no fail-open warning: " + err)
    check(took < 30, "finishing after the orchestrator died took %.1fs" % took)
    print("orchestrator killed: the rest let through in %.1fs" % took)

    # Nobody listening at all.
    p, took = probe("http://127.0.0.1:%d/api/v3" % free_port(), "-events", "3",
                    env_extra={"NMZ_ORCHESTRATOR_TIMEOUT": "500ms"})
    check(p.returncode == 0 and counts(p.stdout) == (3, 0, 0), p.stdout + p.stderr)
    check("fail open" in p.stderr, p.stderr)
    check(took < 15, "took %.1fs" % took)

    for url, text in [("http://127.0.0.1:99999/api/v3", "99999"), ("ftp://x/api/v3", "strange orchestrator url")]:
        p, _ = probe(url, "-events", "1")
        check(p.returncode == 2 and text in p.stderr, "%s: %d %s" % (url, p.returncode, p.stderr))
    p, _ = probe("http://127.0.0.1:1/api/v3", "-events", "1", env_extra={"NMZ_ORCHESTRATOR_TIMEOUT": "soon"})
    check(p.returncode == 2 and "NMZ_ORCHESTRATOR_TIMEOUT" in p.stderr, p.stderr)
    print("ok")


if __name__ == "__main__":
    main()
