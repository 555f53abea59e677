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


def event_paths_follow_renames():
    # Paths come from names recorded through the mount: a rename of the
    # directory or of the file itself must show in the next event's path.
    with faults(["pre-write"], paths=["moved/*"], flags=["-ops", "pre-write"]) as m:
        os.mkdir(os.path.join(m.mnt, "dir"))
        fd = os.open(os.path.join(m.mnt, "dir", "f"), os.O_WRONLY | os.O_CREAT)
        assert os.write(fd, b"1") == 1
        os.rename(os.path.join(m.mnt, "dir"), os.path.join(m.mnt, "moved"))
        expect_errno(errno.EIO, os.write, fd, b"2")
        os.rename(os.path.join(m.mnt, "moved", "f"), os.path.join(m.mnt, "g"))
        assert os.write(fd, b"3") == 1
        os.close(fd)
        assert open(os.path.join(m.orig, "g"), "rb").read() == b"13"


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


def fault_kinds_that_fit_nothing_proceed():
    # -fault-kinds short-write fits only writes: a faulted mkdir must proceed.
    with faults(["pre-mkdir", "pre-write"], flags=["-fault-kinds", "short-write"]) as m:
        os.mkdir(os.path.join(m.mnt, "d"))
        assert os.path.isdir(os.path.join(m.orig, "d"))
        fd = os.open(os.path.join(m.mnt, "d", "f"), os.O_WRONLY | os.O_CREAT)
        assert os.write(fd, b"12345678") == 4
        os.close(fd)


def short_write_with_writeback_surfaces_at_fsync_and_close():
    # The kernel's writeback cache has already told write() it succeeded.
    with faults(["pre-write"], {"kind": "short-write", "bytes": 3}, flags=["-writeback", "-ops", "pre-write"]) as m:
        fd = os.open(os.path.join(m.mnt, "synced"), os.O_WRONLY | os.O_CREAT)
        assert os.write(fd, b"abcdefgh") == 8
        expect_errno(errno.EIO, os.fsync, fd)
        os.fsync(fd)  # reported once
        os.close(fd)
        assert open(os.path.join(m.orig, "synced"), "rb").read() == b"abc"
        fd = os.open(os.path.join(m.mnt, "closed"), os.O_WRONLY | os.O_CREAT)
        assert os.write(fd, b"abcdefgh") == 8
        expect_errno(errno.EIO, os.close, fd)
        assert open(os.path.join(m.orig, "closed"), "rb").read() == b"abc"


def open_trunc_is_inspected_as_truncate():
    with faults(["pre-truncate"], {"errno": "ENOSPC"}, flags=["-ops", "default"]) as m:
        path = os.path.join(m.mnt, "f")
        with open(path, "wb") as f:
            f.write(b"kept")
        expect_errno(errno.ENOSPC, os.open, path, os.O_WRONLY | os.O_TRUNC)
        expect_errno(errno.ENOSPC, os.truncate, path, 0)
        os.close(os.open(path, os.O_WRONLY))
        assert open(os.path.join(m.orig, "f"), "rb").read() == b"kept"


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


def after_lose_unsynced_fsync_succeeds_and_preexisting_files_keep_mount_state():
    """What docs/inspectors/fs.md promises after the "crash": only the faulted
    operation fails; a file that existed before the mount and was never
    synced goes back to its content at mount time, not to empty."""
    m = faults(["pre-fsync"], {"kind": "lose-unsynced"}, paths=["crash"], flags=["-track-unsynced"])
    with open(os.path.join(m.orig, "old"), "wb") as f:
        f.write(b"there before the mount")
    with m:
        old = os.path.join(m.mnt, "old")
        fd = os.open(old, os.O_RDWR)
        os.pwrite(fd, b"CHANGED", 0)
        os.pwrite(fd, b"grown", 100)
        crash = os.open(os.path.join(m.mnt, "crash"), os.O_WRONLY | os.O_CREAT)
        expect_errno(errno.EIO, os.fsync, crash)
        os.close(crash)
        assert open(os.path.join(m.orig, "old"), "rb").read() == b"there before the mount"
        # The descriptor opened before the loss goes on working: its fsync
        # succeeds, and what it writes now is kept.
        os.fsync(fd)
        os.pwrite(fd, b"after", 0)
        os.fsync(fd)
        os.close(fd)
        assert open(old, "rb").read() == b"after before the mount"


def slow_fsync_delays_fsync_only():
    # 4 s: the write meanwhile must be done before the fsync is, on a loaded
    # machine too.
    with faults(["pre-fsync", "pre-write"], {"kind": "slow-fsync", "delay": "4s"}) as m:
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
        assert done["fsync"] >= 4.0, done
        assert still_syncing, "the write waited for the slow fsync"


def policy_delay_is_applied():
    with delays(["pre-mkdir"], "300ms") as m:
        start = time.monotonic()
        os.mkdir(os.path.join(m.mnt, "d"))
        took = time.monotonic() - start
        print("    mkdir delayed by the policy for 300ms took %.3fs" % took)
        assert took >= 0.3, took


def delayed_read_does_not_stall_other_writes():
    # 8 s: the 20 writes and fsyncs must be done before the read is, on a
    # loaded machine too (each fsync reaches the disk).
    with delays(["post-read"], "8s", paths=["slow"]) as m:
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
        assert result["data"] == b"slow data" and result["took"] >= 8.0


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
                post_opendir_and_pre_fsync_namazu_ops, event_paths_follow_renames,
                filters_leave_other_operations_alone, short_write_from_action,
                short_write_from_flag_kind, fault_kinds_that_fit_nothing_proceed,
                short_write_with_writeback_surfaces_at_fsync_and_close, open_trunc_is_inspected_as_truncate,
                lose_unsynced_rolls_back_to_last_sync, lose_unsynced_undoes_truncate,
                lose_unsynced_on_a_write_of_a_logged_file,
                after_lose_unsynced_fsync_succeeds_and_preexisting_files_keep_mount_state,
                slow_fsync_delays_fsync_only, policy_delay_is_applied,
                delayed_read_does_not_stall_other_writes, action_timeout_fails_open,
                random_policy_faults_with_inspector_kinds])
