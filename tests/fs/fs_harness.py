# SPDX-License-Identifier: Apache-2.0
"""Runs `nmz inspectors fs` on temp dirs for the fs tests; never leaves a
mount, a process or a temp dir behind (cleanup runs on any exit)."""
import atexit
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NMZ = os.environ.get("NMZ_BIN", "")
PLUGIN_DIR = os.environ.get("NMZ_FS_TEST_PLUGIN_DIR", "")

_live = []


def skip_unless_possible():
    if os.geteuid() != 0 or not os.path.exists("/dev/fuse") or not NMZ:
        print("SKIP: needs root, /dev/fuse and NMZ_BIN")
        sys.exit(77)


def mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mount:
    """One inspector process serving `orig` on `mnt`, under `root`."""

    def __init__(self, policy="dumb", params=None, flags=(), command=None, root=None, nofile=None):
        self.nofile = nofile  # (soft, hard) RLIMIT_NOFILE nmz starts with; None: the test's own
        self.root = root or tempfile.mkdtemp(prefix="nmz-fs-test-")
        os.chmod(self.root, 0o755)  # non-root callers must reach the dirs
        self.orig = os.path.join(self.root, "orig")
        self.mnt = os.path.join(self.root, "mnt")
        for d in (self.orig, self.mnt):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o777)
        self.config = os.path.join(self.root, "config.toml")
        with open(self.config, "w") as f:
            f.write("explorePolicy = %s\n" % toml_value(policy))
            f.write("[explorePolicyParam]\n")
            for key, value in (params or {}).items():
                f.write("%s = %s\n" % (key, toml_value(value)))
        self.log_path = os.path.join(self.root, "nmz.log")
        self.argv = [NMZ, "inspectors", "fs", "-autopilot", self.config, "-original-dir", self.orig,
                     "-mount-point", self.mnt] + list(flags)
        if command:
            self.argv += ["--"] + list(command)
        self.proc = None
        self.env = {}
        _live.append(self)

    def start(self, wait_mounted=True):
        env = dict(os.environ)
        env["NMZ_PLUGIN_PATH"] = PLUGIN_DIR
        env.update(self.env)
        self.log = open(self.log_path, "w")
        limit = self.nofile
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True,
                                     preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limit))
                                     if limit else None)
        if wait_mounted:
            deadline = time.monotonic() + 15
            while not mounted(self.mnt):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("mount did not appear; log:\n" + self.read_log())
                time.sleep(0.02)
        return self

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signals nmz, waits for it; returns its exit status."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("nmz did not exit after signal %d; log:\n%s" % (sig, self.read_log()))

    def wait_unmounted(self, timeout=10):
        deadline = time.monotonic() + timeout
        while mounted(self.mnt):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        while mounted(self.mnt):
            subprocess.run(["fusermount3", "-u", "-z", self.mnt], stderr=subprocess.DEVNULL)
            if mounted(self.mnt):
                subprocess.run(["umount", "-l", self.mnt], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        _live.remove(self)
        return False


@atexit.register
def _cleanup_all():
    for m in list(_live):
        m.cleanup()


def run_checks(checks):
    """Runs test functions, prints each result; exit status 1 if any failed."""
    failed = 0
    for check in checks:
        start = time.monotonic()
        try:
            check()
            print("ok   %s (%.2fs)" % (check.__name__, time.monotonic() - start))
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL %s: %s" % (check.__name__, e))
            import traceback
            traceback.print_exc()
    sys.exit(1 if failed else 0)


# meson stops a test that runs too long with SIGTERM: clean up then too.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
