#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Each fault kind, delays, fail-open, inspection filters and concurrency,
on real mounts decided by the test-only policy `test-fs-faults`."""
import errno
import json
import os
import subprocess
import threading
import time

from fs_harness import NMZ, PLUGIN_DIR, Mount, run_checks, skip_unless_possible

skip_unless_possible()


def faults(ops, option=None, paths=None, count=-1, flags=(), skip=0):
    params = {"faultOps": ops, "faultOption": json.dumps(option or {}), "faultCount": count, "faultSkip": skip}
    if paths:
        params["faultPaths"] = paths
    ops = [] if "-ops" in flags else ["-ops", "all"]
    return Mount(policy="test-fs-faults", params=params, flags=ops + list(flags))


def delays(ops, delay, paths=None, flags=("-ops", "all")):
    params = {"delayOps": ops, "delay": delay}
    if paths:
        params["delayPaths"] = paths
    return Mount(policy="test-fs-faults", params=params, flags=list(flags))


def expect_errno(code, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        assert e.errno == code, "expected %s, got %s" % (errno.errorcode[code], e)
        return
    raise AssertionError("expected %s, the call succeeded" % errno.errorcode[code])


def errno_fault_named_in_action():
    with faults(["pre-mkdir"], {"errno": "ENOSPC"}) as m:
        expect_errno(errno.ENOSPC, os.mkdir, os.path.join(m.mnt, "d"))
        assert not os.path.exists(os.path.join(m.orig, "d")), "a pre- fault must not perform the operation"


def errno_fault_default_is_eio():
    with faults(["pre-unlink"]) as m:
        open(os.path.join(m.mnt, "keep"), "w").close()
        expect_errno(errno.EIO, os.unlink, os.path.join(m.mnt, "keep"))
        assert os.path.exists(os.path.join(m.orig, "keep"))


def errno_numbers_from_action():
    with faults(["pre-rename"], {"errno": errno.EXDEV}) as m:
        open(os.path.join(m.mnt, "a"), "w").close()
        expect_errno(errno.EXDEV, os.rename, os.path.join(m.mnt, "a"), os.path.join(m.mnt, "b"))


def errno_picked_from_flag_list():
    with faults(["pre-create"], flags=["-fault-errno", "ENOSPC,EDQUOT"]) as m:
        seen = set()
        for i in range(40):
            try:
                open(os.path.join(m.mnt, "f%d" % i), "w").close()
            except OSError as e:
                seen.add(e.errno)
        assert seen == {errno.ENOSPC, errno.EDQUOT}, seen


def post_read_fault_only_on_matching_paths():
    with faults(["post-read"], paths=["sub/*.log"]) as m:
        os.mkdir(os.path.join(m.mnt, "sub"))
        for name in ("sub/a.log", "sub/a.txt", "a.log"):
            with open(os.path.join(m.mnt, name), "w") as f:
                f.write("data")
        expect_errno(errno.EIO, lambda: open(os.path.join(m.mnt, "sub/a.log")).read())
        assert open(os.path.join(m.mnt, "sub/a.txt")).read() == "data"
        assert open(os.path.join(m.mnt, "a.log")).read() == "data"


def post_opendir_and_pre_fsync_namazu_ops():
    with faults(["post-opendir", "pre-fsync"], paths=["bad*"], flags=["-ops", "none,namazu"]) as m:
        os.mkdir(os.path.join(m.mnt, "bad"))
        os.mkdir(os.path.join(m.mnt, "good"))
        expect_errno(errno.EIO, os.listdir, os.path.join(m.mnt, "bad"))
        assert os.listdir(os.path.join(m.mnt, "good")) == []
        fd = os.open(os.path.join(m.mnt, "badfile"), os.O_WRONLY | os.O_CREAT)
        expect_errno(errno.EIO, os.fsync, fd)
        os.close(fd)


def filters_leave_other_operations_alone():
    # pre-write is not in the namazu set; an excluded path is never inspected.
    with faults(["pre-write", "pre-mkdir"], flags=["-ops", "namazu", "-exclude-paths", "skip*"]) as m:
        with open(os.path.join(m.mnt, "w"), "w") as f:
            f.write("fine")
        os.mkdir(os.path.join(m.mnt, "skipped"))
        expect_errno(errno.EIO, os.mkdir, os.path.join(m.mnt, "other"))


def short_write_from_action():
    with faults(["pre-write"], {"kind": "short-write", "bytes": 3}, count=1) as m:
        fd = os.open(os.path.join(m.mnt, "s"), os.O_WRONLY | os.O_CREAT)
        n = os.write(fd, b"abcdefgh")
        os.close(fd)
        assert n == 3, n
        assert open(os.path.join(m.orig, "s"), "rb").read() == b"abc"


def short_write_from_flag_kind():
    with faults(["pre-write"], count=1, flags=["-fault-kinds", "short-write"]) as m:
        fd = os.open(os.path.join(m.mnt, "s"), os.O_WRONLY | os.O_CREAT)
        n = os.write(fd, b"0123456789")
        assert n == 5, n
        assert os.write(fd, b"rest") == 4  # only one fault was asked for
        os.close(fd)
        assert open(os.path.join(m.orig, "s"), "rb").read() == b"01234rest"


def lose_unsynced_rolls_back_to_last_sync():
    with faults(["pre-fsync"], {"kind": "lose-unsynced"}, paths=["crash"], flags=["-track-unsynced"]) as m:
        a = os.path.join(m.mnt, "a")
        fd = os.open(a, os.O_RDWR | os.O_CREAT)
        os.write(fd, b"synced-data!" * 1000)
        os.fsync(fd)
        os.pwrite(fd, b"UNSYNCED", 4)
        os.pwrite(fd, b"appended", 12000)
        os.close(fd)
        with open(os.path.join(m.mnt, "b"), "wb") as f:
            f.write(b"never synced")
        crash = os.open(os.path.join(m.mnt, "crash"), os.O_WRONLY | os.O_CREAT)
        expect_errno(errno.EIO, os.fsync, crash)
        os.close(crash)
        want = b"synced-data!" * 1000
        assert open(os.path.join(m.orig, "a"), "rb").read() == want, "backing file not rolled back"
        assert open(a, "rb").read() == want, "mount still shows unsynced data"
        assert os.path.getsize(os.path.join(m.orig, "b")) == 0
        assert open(os.path.join(m.mnt, "b"), "rb").read() == b""


def lose_unsynced_undoes_truncate():
    with faults(["pre-fdatasync"], {"kind": "lose-unsynced", "errno": "EROFS"}, paths=["crash"],
                flags=["-fault-kinds", "lose-unsynced"]) as m:
        a = os.path.join(m.mnt, "a")
        with open(a, "wb") as f:
            f.write(b"x" * 20000)
            f.flush()
            os.fsync(f.fileno())
        os.truncate(a, 100)
        crash = os.open(os.path.join(m.mnt, "crash"), os.O_WRONLY | os.O_CREAT)
        expect_errno(errno.EROFS, os.fdatasync, crash)
        os.close(crash)
        assert open(a, "rb").read() == b"x" * 20000


def lose_unsynced_on_a_write_of_a_logged_file():
    # The second write to "a" is the crash: "a" itself is rolled back while
    # the kernel holds its pages for that write, which must not deadlock.
    with faults(["pre-write"], {"kind": "lose-unsynced"}, paths=["a"], count=1, skip=1,
                flags=["-track-unsynced", "-ops", "pre-write"]) as m:
        a = os.path.join(m.mnt, "a")
        fd = os.open(a, os.O_WRONLY | os.O_CREAT)
        os.write(fd, b"first, unsynced")
        expect_errno(errno.EIO, os.pwrite, fd, b"second", 100)
        os.close(fd)
        assert os.path.getsize(os.path.join(m.orig, "a")) == 0
        assert open(a, "rb").read() == b""


def slow_fsync_delays_fsync_only():
    with faults(["pre-fsync", "pre-write"], {"kind": "slow-fsync", "delay": "1s"}) as m:
        fd = os.open(os.path.join(m.mnt, "f"), os.O_WRONLY | os.O_CREAT)
        done = {}

        def sync():
            start = time.monotonic()
            os.fsync(fd)
            done["fsync"] = time.monotonic() - start

        t = threading.Thread(target=sync)
        t.start()
        time.sleep(0.1)
        start = time.monotonic()
        # Another file: the kernel holds the inode lock of a file during its
        # fsync. A slow-fsync action for a write lets it go at once.
        with open(os.path.join(m.mnt, "other"), "wb") as f:
            f.write(b"not delayed")
        write_time = time.monotonic() - start
        still_syncing = t.is_alive()
        t.join()
        os.close(fd)
        print("    fsync took %.3fs, a write meanwhile %.3fs" % (done["fsync"], write_time))
        assert done["fsync"] >= 1.0, done
        assert still_syncing, "the write waited for the slow fsync"


def policy_delay_is_applied():
    with delays(["pre-mkdir"], "300ms") as m:
        start = time.monotonic()
        os.mkdir(os.path.join(m.mnt, "d"))
        took = time.monotonic() - start
        print("    mkdir delayed by the policy for 300ms took %.3fs" % took)
        assert took >= 0.3, took


def delayed_read_does_not_stall_other_writes():
    with delays(["post-read"], "2s", paths=["slow"]) as m:
        with open(os.path.join(m.mnt, "slow"), "wb") as f:
            f.write(b"slow data")
        result = {}

        def reader():
            start = time.monotonic()
            with open(os.path.join(m.mnt, "slow"), "rb") as f:
                result["data"] = f.read()
            result["took"] = time.monotonic() - start

        t = threading.Thread(target=reader)
        t.start()
        time.sleep(0.2)
        start = time.monotonic()
        for i in range(20):
            with open(os.path.join(m.mnt, "w%d" % i), "wb") as f:
                f.write(b"x" * 65536)
                os.fsync(f.fileno())
        writes = time.monotonic() - start
        reader_blocked = t.is_alive()
        t.join()
        print("    20 write+fsync while a read was held: %.3fs; the read took %.3fs" % (writes, result["took"]))
        assert reader_blocked, "writes waited for the delayed read"
        assert result["data"] == b"slow data" and result["took"] >= 2.0


def action_timeout_fails_open():
    with delays(["pre-mkdir"], "10s", flags=["-ops", "all", "-action-timeout", "300ms"]) as m:
        start = time.monotonic()
        os.mkdir(os.path.join(m.mnt, "d"))
        took = time.monotonic() - start
        print("    mkdir held 10s by the policy, proceeded after %.3fs" % took)
        assert 0.3 <= took < 9, took
        assert os.path.isdir(os.path.join(m.orig, "d"))


def random_policy_faults_with_inspector_kinds():
    """The random policy names only an errno; the inspector's flags pick the kind."""
    # The random plugin is one of this test's meson dependencies: always built.
    env = dict(os.environ, NMZ_PLUGIN_PATH=PLUGIN_DIR)
    listing = subprocess.run([NMZ, "plugins", "list"], capture_output=True, text=True, env=env).stdout
    assert any(line.split()[:2] == ["random", "policy"] for line in listing.splitlines()), listing
    params = {"faultActionProbability": 1.0, "faultErrno": "ENOSPC"}
    with Mount(policy="random", params=params, flags=["-ops", "pre-mkdir"]) as m:
        expect_errno(errno.ENOSPC, os.mkdir, os.path.join(m.mnt, "d"))
    with Mount(policy="random", params={"faultActionProbability": 1.0},
               flags=["-ops", "pre-write", "-fault-kinds", "short-write"]) as m:
        fd = os.open(os.path.join(m.mnt, "f"), os.O_WRONLY | os.O_CREAT)
        assert os.write(fd, b"12345678") == 4
        os.close(fd)


if __name__ == "__main__":
    run_checks([errno_fault_named_in_action, errno_fault_default_is_eio, errno_numbers_from_action,
                errno_picked_from_flag_list, post_read_fault_only_on_matching_paths,
                post_opendir_and_pre_fsync_namazu_ops, filters_leave_other_operations_alone, short_write_from_action,
                short_write_from_flag_kind, lose_unsynced_rolls_back_to_last_sync, lose_unsynced_undoes_truncate,
                lose_unsynced_on_a_write_of_a_logged_file, slow_fsync_delays_fsync_only, policy_delay_is_applied,
                delayed_read_does_not_stall_other_writes, action_timeout_fails_open,
                random_policy_faults_with_inspector_kinds])
