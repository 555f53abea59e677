#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The mount never outlives nmz: unmount on SIGTERM/SIGINT, on target exit,
after SIGKILL (auto_unmount); held operations fail open at stop; stale and
busy mount points, missing dirs, bad flags and a missing /dev/fuse give
clear errors."""
import ctypes
import os
import signal
import subprocess
import tempfile
import threading
import time

from fs_harness import NMZ, Mount, mounted, run_checks, skip_unless_possible

skip_unless_possible()


def unmounts_on(sig):
    def check():
        with Mount() as m:
            with open(os.path.join(m.mnt, "f"), "w") as f:
                f.write("x")
            status = m.stop(sig)
            assert status == 0, (status, m.read_log())
            assert not mounted(m.mnt), "still mounted after signal %d" % sig
            assert open(os.path.join(m.orig, "f")).read() == "x"
            assert "unmounted" in m.read_log()
    check.__name__ = "unmounts_on_" + signal.Signals(sig).name
    return check


def kernel_unmounts_after_sigkill():
    with Mount() as m:
        os.mkdir(os.path.join(m.mnt, "d"))
        m.stop(signal.SIGKILL)
        assert m.wait_unmounted(10), "the mount outlived a SIGKILLed nmz"


def sigkill_with_target_unmounts_and_ends_target():
    """The target must neither keep libfuse's auto_unmount socket open (the
    mount would stay, stale, for as long as it lives) nor outlive nmz."""
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    m = Mount(root=root)
    m.argv += ["--", "sh", "-c", 'echo $$ > "$0/pid"; exec sleep 1000', m.mnt]
    m.env = {"NMZ_RESTORE_DIR": os.path.join(root, "restore")}
    with m:
        pid_file = os.path.join(m.orig, "pid")
        deadline = time.monotonic() + 10
        while not os.path.exists(pid_file) or not open(pid_file).read():
            assert time.monotonic() < deadline, m.read_log()
            time.sleep(0.05)
        pid = int(open(pid_file).read())
        records = [f for f in os.listdir(m.env["NMZ_RESTORE_DIR"]) if f.endswith(".json")]
        assert len(records) == 1 and "fusermount3" in open(os.path.join(m.env["NMZ_RESTORE_DIR"], records[0])).read()
        m.stop(signal.SIGKILL)
        assert m.wait_unmounted(30), "the mount outlived a SIGKILLed nmz while its target lived"
        deadline = time.monotonic() + 10
        while os.path.exists("/proc/%d" % pid) and open("/proc/%d/stat" % pid).read().split()[2] != "Z":
            assert time.monotonic() < deadline, "the target outlived a SIGKILLed nmz"
            time.sleep(0.05)
        cleanup = subprocess.run([NMZ, "tools", "cleanup"], capture_output=True, text=True, timeout=30,
                                 env=dict(os.environ, **m.env))
        assert "fs inspector: FUSE mount on " + m.mnt in cleanup.stdout, cleanup.stdout + cleanup.stderr
        assert not [f for f in os.listdir(m.env["NMZ_RESTORE_DIR"]) if f.endswith(".json")]


def target_exit_unmounts_and_passes_status():
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    m = Mount(root=root)
    m.argv += ["--", "sh", "-c", 'echo hi > "$0/x"; exit 7', m.mnt]
    try:
        m.start(wait_mounted=False)  # the target may be done before we could look
        status = m.proc.wait(timeout=20)
        assert status == 7, (status, m.read_log())
        assert m.wait_unmounted(5)
        assert open(os.path.join(m.orig, "x")).read() == "hi\n"
    finally:
        m.cleanup()


def stop_terminates_target():
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    m = Mount(root=root)
    m.argv += ["--", "sh", "-c", 'echo $$ > "$0/pid"; exec sleep 100', m.mnt]
    with m:
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(m.orig, "pid")) or not open(os.path.join(m.orig, "pid")).read():
            assert time.monotonic() < deadline, m.read_log()
            time.sleep(0.05)
        pid = int(open(os.path.join(m.orig, "pid")).read())
        status = m.stop(signal.SIGTERM)
        assert status == 128 + signal.SIGTERM, (status, m.read_log())
        assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z"
        assert not mounted(m.mnt)


def held_operation_fails_open_at_stop():
    with Mount(policy="test-fs-faults", params={"delayOps": ["pre-mkdir"], "delay": "60s"}) as m:
        result = {}

        def make():
            start = time.monotonic()
            try:
                os.mkdir(os.path.join(m.mnt, "held"))
                result["ok"] = True
            except OSError as e:
                result["error"] = e
            result["took"] = time.monotonic() - start

        t = threading.Thread(target=make)
        t.start()
        time.sleep(0.3)
        assert t.is_alive(), "mkdir was not held"
        status = m.stop(signal.SIGTERM)
        t.join(20)
        assert not t.is_alive(), "mkdir still blocked after stop"
        assert status == 0, m.read_log()
        assert result.get("ok") and os.path.isdir(os.path.join(m.orig, "held")), result
        assert not mounted(m.mnt)


def external_unmount_ends_nmz():
    with Mount() as m:
        subprocess.run(["fusermount3", "-u", m.mnt], check=True)
        status = m.proc.wait(timeout=20)
        assert status == 0, m.read_log()
        assert "removed from outside" in m.read_log()


def run_nmz(args, env=None):
    proc = subprocess.run([NMZ, "inspectors", "fs"] + args, capture_output=True, text=True, timeout=30,
                          env=env)
    return proc.returncode, proc.stdout + proc.stderr


def expect_error(args, *needles, code=None):
    status, out = run_nmz(args)
    assert status != 0, "succeeded: %r\n%s" % (args, out)
    if code is not None:
        assert status == code, (status, out)
    for needle in needles:
        assert needle in out, "%r not in:\n%s" % (needle, out)
    return out


def bad_flags_are_explained():
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    try:
        d = os.path.join(root, "d")
        os.mkdir(d)
        f = os.path.join(root, "file")
        open(f, "w").close()
        expect_error(["-mount-point", d], "-original-dir is required", code=2)
        expect_error(["-original-dir", d], "-mount-point is required", code=2)
        expect_error(["-original-dir", os.path.join(root, "nope"), "-mount-point", d], "-original-dir",
                     "No such file or directory")
        expect_error(["-original-dir", d, "-mount-point", f], "-mount-point", "not a directory")
        expect_error(["-original-dir", root, "-mount-point", d], "inside -original-dir")
        expect_error(["-original-dir", d, "-mount-point", root, "-ops", "pre-wirte"], "pre-wirte")
        expect_error(["-original-dir", d, "-mount-point", root, "-fault-errno", "EWHAT"], "-fault-errno", "EWHAT")
        expect_error(["-original-dir", d, "-mount-point", root, "-bogus"], "-bogus")
        expect_error(["-original-dir", d, "-mount-point", root, "stray"], "stray")
        expect_error(["-original-dir", d, "-mount-point", root, "-max-threads", "x"], "-max-threads")
        status, out = run_nmz(["-h"])
        assert status == 0, (status, out)
        for needle in ("usage: nmz inspectors fs", "-fault-kinds", "-track-unsynced"):
            assert needle in out, "%r not in:\n%s" % (needle, out)
        assert not mounted(root) and not mounted(d)
    finally:
        subprocess.run(["rm", "-rf", root])


def busy_mount_point_is_refused():
    with Mount() as m:
        other = os.path.join(m.root, "other")
        os.mkdir(other)
        out = expect_error(["-original-dir", other, "-mount-point", m.mnt], "already a mount point",
                           "fusermount3 -u")
        assert mounted(m.mnt), out


def stale_mount_is_reported_with_fix():
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    mnt = os.path.join(root, "mnt")
    orig = os.path.join(root, "orig")
    os.mkdir(mnt)
    os.mkdir(orig)
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/dev/fuse", os.O_RDWR)
    try:
        options = "fd=%d,rootmode=40000,user_id=0,group_id=0" % fd
        if libc.mount(b"stale", mnt.encode(), b"fuse.stale", 0, options.encode()) != 0:
            raise OSError(ctypes.get_errno(), "mount")
        os.close(fd)  # the daemon "crashes": the mount stays, disconnected
        fd = -1
        out = expect_error(["-original-dir", orig, "-mount-point", mnt], "stale FUSE mount",
                           "fusermount3 -u " + mnt)
        print("    " + out.strip().splitlines()[-1])
    finally:
        if fd >= 0:
            os.close(fd)
        while mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", mnt])
        subprocess.run(["rm", "-rf", root])


def missing_dev_fuse_is_explained():
    root = tempfile.mkdtemp(prefix="nmz-fs-test-")
    try:
        for d in ("orig", "mnt"):
            os.mkdir(os.path.join(root, d))
        # A private mount namespace where /dev is an empty tmpfs.
        script = 'mount -t tmpfs none /dev && exec "$@"'
        proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", NMZ,
                               "inspectors", "fs", "-original-dir", os.path.join(root, "orig"), "-mount-point",
                               os.path.join(root, "mnt")], capture_output=True, text=True, timeout=30)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0 and "/dev/fuse" in out and "modprobe fuse" in out, out
    finally:
        subprocess.run(["rm", "-rf", root])


if __name__ == "__main__":
    run_checks([unmounts_on(signal.SIGTERM), unmounts_on(signal.SIGINT), kernel_unmounts_after_sigkill,
                sigkill_with_target_unmounts_and_ends_target,
                target_exit_unmounts_and_passes_status, stop_terminates_target, held_operation_fails_open_at_stop,
                external_unmount_ends_nmz, bad_flags_are_explained, busy_mount_point_is_refused,
                stale_mount_is_reported_with_fix, missing_dev_fuse_is_explained])
