#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""nmz holds a descriptor per cached file and per open file: started with
the usual soft limit of 1024 it must still serve thousands of files (it
raises its soft limit to the hard one, and the command it runs keeps the
limit it was given), and when descriptors do run out, close() on the mount
never fails with EBADF."""
import errno
import os
import resource

from fs_harness import Mount, run_checks, skip_unless_possible

skip_unless_possible()

FILES = 3000


def thousands_of_files_at_a_1024_soft_limit():
    with Mount(nofile=(1024, 8192), flags=["-ops", "none"]) as m:
        # Each name stays cached by the kernel, so nmz keeps one descriptor
        # for each; ~1,000 of them used to end in EMFILE.
        for i in range(FILES):
            with open(os.path.join(m.mnt, "f%d" % i), "w") as f:
                f.write("x")
        for i in range(FILES):
            os.stat(os.path.join(m.mnt, "f%d" % i))
        assert len(os.listdir(m.mnt)) == FILES


def command_keeps_its_own_limit():
    m = Mount(nofile=(1024, 8192))
    m.argv += ["--", "sh", "-c", 'ulimit -Sn > "$0/limit"', m.mnt]
    try:
        m.start(wait_mounted=False)
        assert m.proc.wait(timeout=30) == 0, m.read_log()
        assert open(os.path.join(m.orig, "limit")).read().strip() == "1024"
    finally:
        m.cleanup()


def close_never_fails_when_descriptors_run_out():
    with Mount(nofile=(1024, 1024), flags=["-ops", "none"]) as m:
        fds = []
        failure = None
        for i in range(4000):
            try:
                fds.append(os.open(os.path.join(m.mnt, "f%d" % i), os.O_WRONLY | os.O_CREAT))
            except OSError as e:
                failure = e
                break
        assert failure is not None, "nmz never ran out of descriptors"
        assert failure.errno in (errno.EMFILE, errno.ENFILE), failure
        # nmz's table is full now: each close must still succeed.
        bad = []
        for fd in fds:
            try:
                os.close(fd)
            except OSError as e:
                bad.append(e)
        assert not bad, "close() failed %d times, first: %s" % (len(bad), bad[0])
        assert "only 1024 file descriptors" in m.read_log(), m.read_log()


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 16384), max(hard, 16384)))
    run_checks([thousands_of_files_at_a_1024_soft_limit, command_keeps_its_own_limit,
                close_never_fails_when_descriptors_run_out])
