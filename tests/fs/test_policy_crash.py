#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A policy that crashes (segfault, abort(), or an exception out of a
noexcept method) or throws while it decides a file operation
(test-crashing, tests/plugins/misbehaving_plugin.cpp), on a real FUSE mount:
- a segfault, an abort() or an exception in the decision is survived: nmz
  names the plugin and the call, answers the held write itself (fail open),
  passes everything after it through and stays up, whether the orchestrator
  is `nmz orchestrator` (fs inspector over REST), one process
  (`-autopilot`), or `nmz run`, which records the run as broken with that
  reason; the target ends normally and the mount is removed;
- an exception out of a noexcept method (std::terminate) kills the
  orchestrator naming the plugin and the call; the inspector fails open, so
  the held write goes through, the target ends normally and the mount is
  removed;
- a segfault on a thread the policy started itself kills nmz naming no
  plugin call: in one process, the kernel drops the mount and the target
  does not outlive nmz."""
import json
import os
import re
import subprocess
import tempfile
import threading
import time

from fs_harness import NMZ, Mount, mounted, run_checks, skip_unless_possible

skip_unless_possible()

CRASH_PLUGIN_DIR = os.environ["NMZ_CRASH_TEST_PLUGIN_DIR"]


def crash_config(root, crash):
    path = os.path.join(root, "crash.toml")
    with open(path, "w") as f:
        f.write('explorePolicy = "test-crashing"\nrestPort = 0\n[explorePolicyParam]\ncrash = "%s"\n' % crash)
    return path


def no_core_dump():
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Orchestrator:
    """`nmz orchestrator` on a free port, its REST URL read from its log."""

    def __init__(self, config, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        env = dict(os.environ, NMZ_PLUGIN_PATH=CRASH_PLUGIN_DIR)
        self.proc = subprocess.Popen([NMZ, "orchestrator", config], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True, preexec_fn=no_core_dump)
        deadline = time.monotonic() + 30
        while True:
            match = re.search(r"REST API v3 listening on (http://\S+/api/v3)", self.read_log())
            if match:
                self.url = match.group(1)
                return
            assert self.proc.poll() is None and time.monotonic() < deadline, "no REST endpoint:\n" + self.read_log()
            time.sleep(0.02)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def remote_mount(crash, script, orchestrator_timeout):
    """`nmz orchestrator` with test-crashing, and an fs inspector that it
    orchestrates over REST, running `sh -c SCRIPT MOUNT_POINT`."""
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    os.chmod(root, 0o755)
    orchestrator = Orchestrator(crash_config(root, crash), os.path.join(root, "orchestrator.log"))
    m = Mount(root=root)
    m.argv = [NMZ, "inspectors", "fs", "-orchestrator-url", orchestrator.url, "-original-dir", m.orig,
              "-mount-point", m.mnt, "--", "sh", "-c", script, m.mnt]
    m.env = {"NMZ_ORCHESTRATOR_TIMEOUT": orchestrator_timeout, "NMZ_RESTORE_DIR": os.path.join(root, "restore")}
    return orchestrator, m


def remote_inspector_fails_open_when_the_policy(crash, expected_report):
    def check():
        orchestrator, m = remote_mount(crash, 'echo written > "$0/f"', "1s")
        try:
            m.start(wait_mounted=False)
            status = orchestrator.proc.wait(timeout=60)
            assert status == expected_report[0], (status, orchestrator.read_log())
            assert re.search(expected_report[1], orchestrator.read_log()), orchestrator.read_log()
            # The held write goes through once the inspector gives up on
            # the dead orchestrator: the target ends with its own status.
            status = m.proc.wait(timeout=60)
            assert status == 0, (status, m.read_log())
            assert open(os.path.join(m.orig, "f")).read() == "written\n"
            assert "FAILING OPEN" in m.read_log(), m.read_log()
            assert m.wait_unmounted(10), "the mount outlived the inspector"
        finally:
            m.cleanup()
            orchestrator.cleanup()
    check.__name__ = "remote_inspector_fails_open_when_the_policy_" + crash.replace("-", "_") + "s"
    return check


def remote_inspector_is_answered_when_the_policy(crash, reason):
    def check():
        # An orchestratorTimeout far beyond the test's waits: the writes must
        # be answered by the orchestrator, not let through by an inspector
        # giving up.
        orchestrator, m = remote_mount(crash, 'echo written > "$0/f"; echo more > "$0/g"', "300s")
        try:
            m.start(wait_mounted=False)
            status = m.proc.wait(timeout=60)
            assert status == 0, (status, m.read_log())
            assert open(os.path.join(m.orig, "f")).read() == "written\n"
            assert open(os.path.join(m.orig, "g")).read() == "more\n"
            assert "FAILING OPEN" not in m.read_log(), m.read_log()
            assert orchestrator.proc.poll() is None, orchestrator.read_log()
            assert re.search(reason + r"; the policy's state is unknown", orchestrator.read_log()), \
                orchestrator.read_log()
            assert "nmz: fatal" not in orchestrator.read_log(), orchestrator.read_log()
            assert m.wait_unmounted(10), "the mount outlived the inspector"
        finally:
            m.cleanup()
            orchestrator.cleanup()
    check.__name__ = "remote_inspector_is_answered_when_the_policy_" + crash.replace("-", "_") + "s"
    return check


def one_process_survives_a_policy_that(crash, reason):
    def check():
        root = tempfile.mkdtemp(prefix="nmz-fs-test-")
        os.chmod(root, 0o755)
        m = Mount(root=root, policy="test-crashing", params={"crash": crash})
        # The write is held by the policy's first (crashing) decision.
        m.argv += ["--", "sh", "-c", 'echo written > "$0/f" && echo more > "$0/g" && exit 7', m.mnt]
        m.env = {"NMZ_PLUGIN_PATH": CRASH_PLUGIN_DIR, "NMZ_RESTORE_DIR": os.path.join(root, "restore")}
        try:
            m.start(wait_mounted=False)
            # The target's own status: nmz neither died nor was wedged.
            status = m.proc.wait(timeout=60)
            assert status == 7, (status, m.read_log())
            assert open(os.path.join(m.orig, "f")).read() == "written\n"
            assert open(os.path.join(m.orig, "g")).read() == "more\n"
            assert re.search(reason + r"; the policy's state is unknown: its held events get their default action",
                             m.read_log()), m.read_log()
            assert "the policy failed during this run" in m.read_log(), m.read_log()
            assert "nmz: fatal" not in m.read_log(), m.read_log()
            assert m.wait_unmounted(10), "the mount outlived nmz"
        finally:
            m.cleanup()
    check.__name__ = "one_process_survives_a_policy_that_" + crash.replace("-", "_") + "s"
    return check


def nmz_run_records_the_crash_and_the_held_write_completes():
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    os.chmod(root, 0o755)
    m = Mount(root=root)  # for its directories and clean-up; nmz run's run.sh starts the inspector
    try:
        materials = os.path.join(root, "materials")
        os.makedirs(materials)
        with open(os.path.join(materials, "run.sh"), "w") as f:
            f.write('#!/bin/sh\nNMZ_ORCHESTRATOR_TIMEOUT=300s exec "%s" inspectors fs -orchestrator-url "$NMZ_REST_URL" '
                    '-original-dir %s -mount-point %s -- sh -c \'echo written > "$0/f"\' %s\n'
                    % (NMZ, m.orig, m.mnt, m.mnt))
        os.chmod(os.path.join(materials, "run.sh"), 0o755)
        config = os.path.join(root, "run.toml")
        with open(config, "w") as f:
            f.write('run = "run.sh"\nrestPort = 0\nexplorePolicy = "test-crashing"\n'
                    '[explorePolicyParam]\ncrash = "segfault"\n')
        env = dict(os.environ, NMZ_PLUGIN_PATH=CRASH_PLUGIN_DIR, NMZ_RESTORE_DIR=os.path.join(root, "restore"))
        storage = os.path.join(root, "storage")
        init = subprocess.run([NMZ, "init", config, materials, storage], capture_output=True, text=True, env=env,
                              timeout=60)
        assert init.returncode == 0, init.stderr
        run = subprocess.run([NMZ, "run", storage], capture_output=True, text=True, env=env, timeout=120,
                             preexec_fn=no_core_dump)
        # 3: a broken run, reported as such; not a death by signal.
        assert run.returncode == 3, (run.returncode, run.stderr)
        assert "nmz: fatal" not in run.stderr, run.stderr
        assert open(os.path.join(m.orig, "f")).read() == "written\n"
        with open(os.path.join(storage, "00000000", "result.json")) as f:
            result = json.load(f)
        assert result["status"] == "broken", result
        assert result["run_exit_code"] == 0, result
        assert re.fullmatch(r'SIGSEGV in plugin policy "test-crashing" \(\S+test_misbehaving\.so\), call queue_event',
                            result["reason"]), result
        assert m.wait_unmounted(10), "the mount outlived the run"
    finally:
        m.cleanup()


def one_process_crash_outside_a_plugin_call_leaves_no_wedged_mount_or_target():
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    os.chmod(root, 0o755)
    m = Mount(root=root, policy="test-crashing", params={"crash": "segfault-on-own-thread"})
    # The pid is written outside the mount; the write into it is held by
    # the policy's first decision, which crashes on a thread of its own.
    m.argv += ["--", "sh", "-c", 'echo $$ > "$0/pid"; echo x > "$1/f"; exec sleep 1000', root, m.mnt]
    m.env = {"NMZ_PLUGIN_PATH": CRASH_PLUGIN_DIR, "NMZ_RESTORE_DIR": os.path.join(root, "restore")}
    try:
        m.start(wait_mounted=False)
        status = m.proc.wait(timeout=60)
        assert status == -11, (status, m.read_log())
        assert re.search(r'nmz: fatal: SIGSEGV outside any call into a plugin \(in nmz, or on a thread a plugin '
                         r'started\)\n', m.read_log()), m.read_log()
        assert m.wait_unmounted(30), "the mount outlived nmz"
        pid = int(open(os.path.join(root, "pid")).read())
        deadline = time.monotonic() + 10
        while os.path.exists("/proc/%d" % pid) and open("/proc/%d/stat" % pid).read().split()[2] != "Z":
            assert time.monotonic() < deadline, "the target outlived nmz"
            time.sleep(0.05)
        # The mount point is an ordinary, usable directory again.
        probe = threading.Thread(target=lambda: os.listdir(m.mnt), daemon=True)
        probe.start()
        probe.join(10)
        assert not probe.is_alive(), "the mount point hangs"
        assert not mounted(m.mnt)
    finally:
        m.cleanup()


SEGFAULT = r'SIGSEGV in plugin policy "test-crashing" \(\S+test_misbehaving\.so\), call queue_event'
ABORT = r'SIGABRT in plugin policy "test-crashing" \(\S+test_misbehaving\.so\), call queue_event'
THROW = (r'exception in plugin policy "test-crashing" \(\S+test_misbehaving\.so\), call queue_event: '
         r'test-crashing: no decision for event \S+')

run_checks([
    remote_inspector_fails_open_when_the_policy(
        "throw-in-noexcept", (-6, r'nmz: fatal: SIGABRT in plugin policy "test-crashing" \(\S+\), call queue_event: '
                                  r'uncaught exception: test-crashing: no decision for event \S+\n')),
    remote_inspector_is_answered_when_the_policy("throw", THROW),
    remote_inspector_is_answered_when_the_policy("segfault", SEGFAULT),
    remote_inspector_is_answered_when_the_policy("abort", ABORT),
    one_process_survives_a_policy_that("segfault", SEGFAULT),
    one_process_survives_a_policy_that("abort", ABORT),
    nmz_run_records_the_crash_and_the_held_write_completes,
    one_process_crash_outside_a_plugin_call_leaves_no_wedged_mount_or_target,
])
