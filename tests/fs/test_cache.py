#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The kernel's page cache on the mount: data written through the mount is
read back right (and may be served from the kernel's cache), while a change
made directly in the backing directory still shows (docs/inspectors/fs.md,
"Caching")."""
import errno
import json
import mmap
import os
import time

from fs_harness import Mount, run_checks, skip_unless_possible

skip_unless_possible()

# Longer than any test: what shows, shows without the attributes expiring.
NO_EXPIRY = ["-cache-timeout", "1h"]
MIB = 1 << 20


def pattern(size, seed):
    block = bytes((i * 7 + seed) % 251 for i in range(4096))
    return (block * (size // len(block) + 1))[:size]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def written_through_the_mount_reads_back():
    with Mount(flags=NO_EXPIRY) as m:
        path = os.path.join(m.mnt, "big")
        want = bytearray(pattern(8 * MIB + 123, 1))
        with open(path, "wb") as f:
            for at in range(0, len(want), MIB):
                f.write(want[at:at + MIB])
        assert read(path) == want
        # Overwritten in the middle, cut, grown again: each through the mount.
        with open(path, "r+b") as f:
            f.seek(3 * MIB + 5)
            f.write(b"middle")
            want[3 * MIB + 5:3 * MIB + 11] = b"middle"
            f.truncate(5 * MIB)
            del want[5 * MIB:]
        assert read(path) == want
        write(path, b"tail", "ab")
        want += b"tail"
        assert read(path) == want
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mapped:
            assert mapped[:] == want
        # Written through a shared mapping, read through read().
        with open(path, "r+b") as f, mmap.mmap(f.fileno(), 0) as mapped:
            mapped[0:6] = b"mapped"
            mapped.flush()
        want[0:6] = b"mapped"
        assert read(path) == want
        assert read(os.path.join(m.orig, "big")) == want


def change_in_dir_shows_at_reopen():
    with Mount(flags=NO_EXPIRY) as m:
        path, backing = os.path.join(m.mnt, "f"), os.path.join(m.orig, "f")
        write(path, b"written through the mount")
        assert read(path) == b"written through the mount"
        # Same size, and the mtime put back as cp -p or rsync would: the
        # ctime still tells.
        before = os.stat(backing)
        with open(backing, "r+b") as f:
            f.write(b"WRITTEN")
        os.utime(backing, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert read(path) == b"WRITTEN through the mount"
        # Longer: the new size shows at the open too.
        write(backing, b" and more in DIR", "ab")
        assert read(path) == b"WRITTEN through the mount and more in DIR"
        write(backing, b"short")
        assert read(path) == b"short"


def write_after_change_in_dir_keeps_both():
    # nmz's own write must not make the kernel trust pages older than a
    # change made in DIR before it.
    with Mount(flags=NO_EXPIRY) as m:
        path, backing = os.path.join(m.mnt, "f"), os.path.join(m.orig, "f")
        write(path, b"aaaa bbbb cccc")
        # Opened (and its pages cached) before the change in DIR, so that
        # only the write itself can notice it.
        with open(path, "r+b", buffering=0) as f:
            assert f.read() == b"aaaa bbbb cccc"
            write(backing, b"DIR!", "r+b")
            os.pwrite(f.fileno(), b"MNT!", 10)
        assert read(path) == b"DIR! bbbb MNT!"


def change_in_dir_shows_to_an_open_reader():
    with Mount(flags=["-cache-timeout", "200ms"]) as m:
        path, backing = os.path.join(m.mnt, "f"), os.path.join(m.orig, "f")
        write(path, b"old data, kept open")
        with open(path, "rb") as held:
            assert os.pread(held.fileno(), 100, 0) == b"old data, kept open"
            with open(backing, "r+b") as f:
                f.write(b"NEW")
            deadline = time.monotonic() + 10
            while os.pread(held.fileno(), 100, 0) != b"NEW data, kept open":
                assert time.monotonic() < deadline, "the open handle still reads the old data"
                time.sleep(0.05)


def direct_write_shows_to_a_cached_reader():
    with Mount(flags=NO_EXPIRY) as m:
        path = os.path.join(m.mnt, "f")
        write(path, b"c" * 8192)
        with open(path, "rb") as held:
            assert os.pread(held.fileno(), 8192, 0) == b"c" * 8192
            aligned = mmap.mmap(-1, 4096)
            aligned.write(b"d" * 4096)
            fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
            try:
                assert os.pwrite(fd, aligned, 4096) == 4096
            finally:
                os.close(fd)
            assert os.pread(held.fileno(), 8192, 0) == b"c" * 4096 + b"d" * 4096


def inspected_read_after_write_is_inspected():
    params = {"faultOps": ["post-read"], "faultOption": json.dumps({"errno": errno.ENODATA}), "faultCount": -1,
              "faultSkip": 0}
    with Mount(policy="test-fs-faults", params=params, flags=["-ops", "default,read"] + NO_EXPIRY) as m:
        path = os.path.join(m.mnt, "f")
        write(path, b"written, then read through the policy")
        for _ in range(2):
            try:
                read(path)
                raise AssertionError("the read was not inspected (served from the kernel's cache?)")
            except OSError as e:
                assert e.errno == errno.ENODATA, e


if __name__ == "__main__":
    run_checks([written_through_the_mount_reads_back, change_in_dir_shows_at_reopen,
                write_after_change_in_dir_keeps_both, change_in_dir_shows_to_an_open_reader,
                direct_write_shows_to_a_cached_reader, inspected_read_after_write_is_inspected])
