#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Operation-by-operation conformance: every scenario runs once in a native
directory and once on the mount (through dumb, zero delay, every operation
inspected), and the observed results and errnos must be identical."""
import ctypes
import errno
import fcntl
import hashlib
import mmap
import os
import stat
import subprocess
import sys
import time

from fs_harness import Mount, run_checks, skip_unless_possible

skip_unless_possible()

libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2
SEEK_DATA, SEEK_HOLE = 3, 4
NOBODY = 65534


def renameat2(old, new, flags):
    if libc.renameat2(AT_FDCWD, old.encode(), AT_FDCWD, new.encode(), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def fallocate(fd, mode, offset, length):
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    if libc.fallocate(fd, mode, offset, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class Recorder:
    def __init__(self, root):
        self.root = root
        self.seen = []

    def p(self, *parts):
        return os.path.join(self.root, *parts)

    def __call__(self, label, fn, *args):
        try:
            value = fn(*args)
            self.seen.append((label, "ok", value))
        except OSError as e:
            self.seen.append((label, "errno", errno.errorcode.get(e.errno, e.errno)))
        return self.seen[-1]


def st(path, follow=False):
    s = os.stat(path) if follow else os.lstat(path)
    return (stat.filemode(s.st_mode), s.st_nlink, s.st_size, s.st_uid, s.st_gid)


def read(path, size=-1, offset=0):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def write(path, data, mode="wb"):
    with open(path, mode) as f:
        return f.write(data)


def listing(path):
    return sorted(os.listdir(path))


def scenario_files(r):
    r("create", write, r.p("f"), b"hello world")
    r("read", read, r.p("f"))
    r("stat", st, r.p("f"))
    r("excl on existing", os.open, r.p("f"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    r("open missing", os.open, r.p("missing"), os.O_RDONLY)
    r("open in missing dir", os.open, r.p("nodir", "x"), os.O_CREAT | os.O_WRONLY)
    r("append", write, r.p("f"), b"!!", "ab")
    fd = os.open(r.p("f"), os.O_WRONLY | os.O_APPEND)
    r("o_append pwrite lands at end", os.write, fd, b"tail")
    os.close(fd)
    r("after append", read, r.p("f"))
    fd = os.open(r.p("f"), os.O_RDWR)
    r("pwrite", os.pwrite, fd, b"XY", 3)
    r("pread", os.pread, fd, 6, 1)
    r("read past eof", os.pread, fd, 10, 1000)
    r("ftruncate down", os.ftruncate, fd, 4)
    r("ftruncate up", os.ftruncate, fd, 9000)
    r("fstat", lambda: os.fstat(fd).st_size)
    r("fsync", os.fsync, fd)
    r("fdatasync", os.fdatasync, fd)
    os.close(fd)
    r("after truncate", lambda: hashlib.sha256(read(r.p("f"))).hexdigest())
    r("truncate path", os.truncate, r.p("f"), 3)
    r("o_trunc", lambda: os.close(os.open(r.p("f"), os.O_WRONLY | os.O_TRUNC)))
    r("size after o_trunc", lambda: os.stat(r.p("f")).st_size)
    r("write to dir", os.open, r.p(""), os.O_WRONLY)
    r("umask applies", lambda: (os.umask(0o027), write(r.p("masked"), b""), os.umask(0o022),
                                stat.filemode(os.stat(r.p("masked")).st_mode))[3])
    r("mknod fifo", os.mkfifo, r.p("fifo"), 0o640)
    r("fifo stat", st, r.p("fifo"))
    r("copy_file_range", lambda: _copy_range(r.p("f"), r.p("copy")))
    r("unlink", os.unlink, r.p("f"))
    r("unlink again", os.unlink, r.p("f"))
    r("listing", listing, r.p(""))


def _copy_range(src, dst):
    write(src, b"0123456789")
    a = os.open(src, os.O_RDONLY)
    b = os.open(dst, os.O_WRONLY | os.O_CREAT, 0o644)
    n = os.copy_file_range(a, b, 6, 2, 0)
    os.close(a)
    os.close(b)
    return n, read(dst)


def scenario_dirs(r):
    r("mkdir", os.mkdir, r.p("d"), 0o750)
    r("mkdir again", os.mkdir, r.p("d"))
    r("mkdir missing parent", os.mkdir, r.p("x", "y"))
    r("dir stat", st, r.p("d"))
    write(r.p("d", "inner"), b"1")
    r("rmdir nonempty", os.rmdir, r.p("d"))
    r("rmdir file", os.rmdir, r.p("d", "inner"))
    r("unlink dir", os.unlink, r.p("d"))
    r("create under file", os.mkdir, r.p("d", "inner", "z"))
    for i in range(300):
        write(r.p("d", "n%03d" % i), b"")
    r("big listing", lambda: len(os.listdir(r.p("d"))))
    r("scandir types", lambda: sorted((e.name, e.is_dir(), e.is_file()) for e in os.scandir(r.p(""))))
    r("dir nlink", lambda: os.stat(r.p("d")).st_nlink)
    os.mkdir(r.p("d", "sub"))
    r("dir nlink with sub", lambda: os.stat(r.p("d")).st_nlink)
    r("rmdir sub", os.rmdir, r.p("d", "sub"))
    r("rmdir missing", os.rmdir, r.p("d", "sub"))
    r("fsync dir", lambda: (lambda fd: (os.fsync(fd), os.close(fd)))(os.open(r.p("d"), os.O_RDONLY)))
    r("chdir-relative", lambda: subprocess.run(["sh", "-c", "cd d && ls | wc -l"], cwd=r.root,
                                               capture_output=True, text=True).stdout.strip())


def scenario_links(r):
    write(r.p("t"), b"target")
    r("link", os.link, r.p("t"), r.p("l"))
    r("nlink", lambda: (os.stat(r.p("t")).st_nlink, os.stat(r.p("l")).st_nlink))
    r("same inode", lambda: os.stat(r.p("t")).st_ino == os.stat(r.p("l")).st_ino)
    r("link exists", os.link, r.p("t"), r.p("l"))
    r("link missing", os.link, r.p("nope"), r.p("l2"))
    r("write via link", write, r.p("l"), b"changed")
    r("read via target", read, r.p("t"))
    r("unlink one", os.unlink, r.p("t"))
    r("other remains", read, r.p("l"))
    r("symlink", os.symlink, "l", r.p("s"))
    r("readlink", os.readlink, r.p("s"))
    r("lstat symlink", st, r.p("s"))
    r("stat through", st, r.p("s"), True)
    r("read through", read, r.p("s"))
    r("dangling", os.symlink, "gone", r.p("dang"))
    r("stat dangling", os.stat, r.p("dang"))
    r("loop", lambda: (os.symlink("loop2", r.p("loop1")), os.symlink("loop1", r.p("loop2"))))
    r("open loop", os.open, r.p("loop1"), os.O_RDONLY)
    r("nofollow", os.open, r.p("s"), os.O_RDONLY | os.O_NOFOLLOW)
    r("readlink file", os.readlink, r.p("l"))
    r("symlink exists", os.symlink, "x", r.p("s"))
    r("open unlinked", lambda: _unlinked_but_open(r.p("u")))


def _unlinked_but_open(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.write(fd, b"still here")
    os.unlink(path)
    data = os.pread(fd, 100, 0)
    nlink = os.fstat(fd).st_nlink
    os.close(fd)
    return data, nlink, os.path.exists(path)


def scenario_attrs(r):
    write(r.p("a"), b"x")
    r("chmod", os.chmod, r.p("a"), 0o4751)
    r("mode", st, r.p("a"))
    r("chown", os.chown, r.p("a"), 1234, 5678)
    r("owner", st, r.p("a"))
    r("utime", lambda: os.utime(r.p("a"), ns=(1_000_000_123, 2_000_000_456)))
    r("times", lambda: (os.stat(r.p("a")).st_atime_ns, os.stat(r.p("a")).st_mtime_ns))
    r("lchown symlink", lambda: (os.symlink("a", r.p("sa")), os.lchown(r.p("sa"), 42, 43), st(r.p("sa")))[2])
    r("chmod missing", os.chmod, r.p("missing"), 0o600)
    r("setxattr", os.setxattr, r.p("a"), "user.k", b"v1")
    r("getxattr", os.getxattr, r.p("a"), "user.k")
    r("xattr create exists", os.setxattr, r.p("a"), "user.k", b"v2", os.XATTR_CREATE)
    r("xattr replace missing", os.setxattr, r.p("a"), "user.q", b"v2", os.XATTR_REPLACE)
    r("listxattr", lambda: sorted(x for x in os.listxattr(r.p("a")) if x.startswith("user.")))
    r("big xattr", os.setxattr, r.p("a"), "user.big", b"z" * 3000)
    r("get big", lambda: len(os.getxattr(r.p("a"), "user.big")))
    r("removexattr", os.removexattr, r.p("a"), "user.k")
    r("getxattr missing", os.getxattr, r.p("a"), "user.k")
    r("removexattr missing", os.removexattr, r.p("a"), "user.k")


def scenario_rename(r):
    write(r.p("a"), b"A")
    write(r.p("b"), b"B")
    os.mkdir(r.p("d1"))
    os.mkdir(r.p("d2"))
    write(r.p("d2", "x"), b"")
    r("rename", os.rename, r.p("a"), r.p("a2"))
    r("old gone", os.path.exists, r.p("a"))
    r("rename over", os.rename, r.p("a2"), r.p("b"))
    r("content", read, r.p("b"))
    write(r.p("c"), b"C")
    r("noreplace exists", renameat2, r.p("c"), r.p("b"), RENAME_NOREPLACE)
    r("noreplace free", renameat2, r.p("c"), r.p("c2"), RENAME_NOREPLACE)
    r("exchange", renameat2, r.p("c2"), r.p("b"), RENAME_EXCHANGE)
    r("exchanged", lambda: (read(r.p("b")), read(r.p("c2"))))
    r("exchange missing", renameat2, r.p("b"), r.p("zz"), RENAME_EXCHANGE)
    r("dir over nonempty", os.rename, r.p("d1"), r.p("d2"))
    r("file over dir", os.rename, r.p("b"), r.p("d1"))
    r("dir over file", os.rename, r.p("d1"), r.p("b"))
    r("dir into itself", os.rename, r.p("d2"), r.p("d2", "inside"))
    r("rename missing", os.rename, r.p("nope"), r.p("x"))
    r("dir move", os.rename, r.p("d1"), r.p("d2", "d1"))
    r("open file follows rename", lambda: _open_across_rename(r.p("m"), r.p("d2", "m")))
    r("listing", lambda: sorted(os.listdir(r.root)) + sorted(os.listdir(r.p("d2"))))


def _open_across_rename(a, b):
    fd = os.open(a, os.O_RDWR | os.O_CREAT, 0o644)
    os.rename(a, b)
    os.write(fd, b"moved")
    os.close(fd)
    return read(b)


def scenario_locks(r):
    write(r.p("lk"), b"lock me")
    fd = os.open(r.p("lk"), os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    probe = ("import fcntl,os,sys\nfd=os.open(sys.argv[1],os.O_RDWR)\n"
             "try:\n fcntl.lockf(fd,fcntl.LOCK_EX|fcntl.LOCK_NB);print('got')\n"
             "except OSError as e:\n print('busy',e.errno)\n"
             "try:\n fcntl.flock(fd,fcntl.LOCK_EX|fcntl.LOCK_NB);print('flock got')\n"
             "except OSError as e:\n print('flock busy',e.errno)\n")
    r("posix lock held elsewhere", lambda: subprocess.run(["python3", "-c", probe, r.p("lk")], capture_output=True,
                                                         text=True).stdout)
    fcntl.lockf(fd, fcntl.LOCK_UN)
    fcntl.flock(fd, fcntl.LOCK_EX)
    r("flock held elsewhere", lambda: subprocess.run(["python3", "-c", probe, r.p("lk")], capture_output=True,
                                                    text=True).stdout)
    fcntl.flock(fd, fcntl.LOCK_UN)
    r("free again", lambda: subprocess.run(["python3", "-c", probe, r.p("lk")], capture_output=True,
                                           text=True).stdout)
    os.close(fd)


def scenario_space(r):
    fd = os.open(r.p("sparse"), os.O_RDWR | os.O_CREAT, 0o644)
    r("write far", os.pwrite, fd, b"end", 5 * 1024 ** 3)
    r("size", lambda: os.fstat(fd).st_size)
    r("few blocks", lambda: os.fstat(fd).st_blocks < 64)
    if "-writeback" not in sys.argv:  # with it the kernel reports no holes (docs/inspectors/fs.md)
        r("seek data", os.lseek, fd, 0, SEEK_DATA)
        r("seek hole", os.lseek, fd, 0, SEEK_HOLE)
    r("read hole", os.pread, fd, 8, 4096)
    os.close(fd)
    fd = os.open(r.p("alloc"), os.O_RDWR | os.O_CREAT, 0o644)
    r("posix_fallocate", os.posix_fallocate, fd, 0, 1 << 20)
    r("allocated", lambda: (os.fstat(fd).st_size, os.fstat(fd).st_blocks >= 2048))
    os.pwrite(fd, b"\xff" * (1 << 20), 0)
    r("punch hole", fallocate, fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 4096, 8192)
    r("punched", lambda: (os.pread(fd, 4, 4096), os.pread(fd, 2, 4094), os.fstat(fd).st_size))
    r("bad fallocate mode", fallocate, fd, FALLOC_FL_PUNCH_HOLE, 0, 4096)
    os.close(fd)
    data = hashlib.sha512(b"nmz").digest() * (48 << 14)  # 48 MiB, the same in both runs
    r("large file", lambda: (write(r.p("large"), data), hashlib.sha256(read(r.p("large"))).hexdigest())[1])
    r("statvfs", lambda: os.statvfs(r.root).f_bsize > 0)


def scenario_direct_and_mmap(r):
    buf = mmap.mmap(-1, 1 << 20)  # page aligned, as O_DIRECT wants
    buf.write(os.urandom(1 << 20))
    fd = os.open(r.p("direct"), os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
    r("o_direct write (Namazu #181)", os.write, fd, buf)
    r("o_direct pwrite", os.pwrite, fd, memoryview(buf)[:4096], 1 << 20)
    back = mmap.mmap(-1, 1 << 20)
    r("o_direct read", os.preadv, fd, [back], 0)
    r("o_direct same", lambda: back[:] == buf[:])
    os.close(fd)
    write(r.p("mm"), b"\0" * 10000)
    fd = os.open(r.p("mm"), os.O_RDWR)
    m = mmap.mmap(fd, 10000)
    m[5000:5005] = b"HELLO"
    m.flush()
    r("mmap write visible to read", os.pread, fd, 5, 5000)
    os.pwrite(fd, b"WORLD", 100)
    r("write visible to mmap", lambda: m[100:105])
    m.close()
    os.close(fd)
    r("mmap private", lambda: _mmap_private(r.p("mm")))


def _mmap_private(path):
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        value = m[5000:5005]
        m.close()
    return value


def as_nobody(fn, *args):
    """Runs fn in a child with uid/gid nobody; returns its result or errno name."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result = repr(fn(*args))
        except OSError as e:
            result = "errno " + errno.errorcode.get(e.errno, str(e.errno))
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            result = "exception " + repr(e)
        os.write(wfd, result.encode())
        os._exit(0)
    os.close(wfd)
    chunks = []
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(rfd)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def create_with_mode(path, mode):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    return st(path)


def scenario_permissions(r):
    write(r.p("secret"), b"root only")
    os.chmod(r.p("secret"), 0o600)
    write(r.p("public"), b"read only")
    os.chmod(r.p("public"), 0o644)
    for name, mode in (("closed", 0o755), ("open", 0o777), ("sticky", 0o1777), ("sgid", 0o2777)):
        os.mkdir(r.p(name))
        os.chmod(r.p(name), mode)  # not masked by the umask
    write(r.p("sticky", "roots"), b"")
    os.chown(r.p("sgid"), 0, 4321)
    r("read secret", as_nobody, read, r.p("secret"))
    r("read public", as_nobody, read, r.p("public"))
    r("write public", as_nobody, write, r.p("public"), b"no")
    r("create in closed", as_nobody, write, r.p("closed", "x"), b"")
    r("mkdir in closed", as_nobody, os.mkdir, r.p("closed", "x"))
    r("create in open", as_nobody, lambda: (write(r.p("open", "mine"), b"1"), st(r.p("open", "mine")))[1])
    r("mkdir in open", as_nobody, lambda: (os.mkdir(r.p("open", "md")), st(r.p("open", "md")))[1])
    r("symlink in open", as_nobody, lambda: (os.symlink("x", r.p("open", "ms")), st(r.p("open", "ms")))[1])
    r("chmod others", as_nobody, os.chmod, r.p("public"), 0o777)
    r("chown own", as_nobody, os.chown, r.p("open", "mine"), 0, 0)
    r("chmod own", as_nobody, lambda: (os.chmod(r.p("open", "mine"), 0o600), st(r.p("open", "mine")))[1])
    r("unlink others in sticky", as_nobody, os.unlink, r.p("sticky", "roots"))
    r("create in setgid dir", as_nobody, lambda: (write(r.p("sgid", "f"), b""), st(r.p("sgid", "f")))[1])
    r("mkdir in setgid dir", as_nobody, lambda: (os.mkdir(r.p("sgid", "sd")), st(r.p("sgid", "sd")))[1])
    # Set-ID bits a non-root creator asks for: kept where the kernel keeps
    # them (own group), dropped where it drops them (another group).
    r("create setuid", as_nobody, create_with_mode, r.p("open", "suid"), 0o4755)
    r("create setgid", as_nobody, create_with_mode, r.p("open", "sgid"), 0o2755)
    r("mknod setuid+setgid", as_nobody,
      lambda: (os.mknod(r.p("open", "node"), stat.S_IFREG | 0o6750), st(r.p("open", "node")))[1])
    r("mkdir asking setgid", as_nobody, lambda: (os.mkdir(r.p("open", "gd"), 0o2775), st(r.p("open", "gd")))[1])
    r("create setgid in others' setgid dir", as_nobody, create_with_mode, r.p("sgid", "g"), 0o2755)
    r("utime others", as_nobody, os.utime, r.p("public"), (1, 1))
    r("truncate others", as_nobody, os.truncate, r.p("public"), 0)
    r("xattr on others", as_nobody, os.setxattr, r.p("public"), "user.x", b"1")
    r("access", as_nobody, lambda: (os.access(r.p("secret"), os.R_OK), os.access(r.p("public"), os.R_OK),
                                    os.access(r.p("public"), os.W_OK)))
    r("rename into closed", as_nobody, os.rename, r.p("open", "mine"), r.p("closed", "mine"))
    r("link others into open", as_nobody, os.link, r.p("secret"), r.p("open", "hl"))


SCENARIOS = [scenario_files, scenario_dirs, scenario_links, scenario_attrs, scenario_rename, scenario_locks,
             scenario_space, scenario_direct_and_mmap, scenario_permissions]


def compare(mount, scenario):
    native = os.path.join(mount.root, "native", scenario.__name__)
    on_mount = os.path.join(mount.mnt, scenario.__name__)
    os.makedirs(native)
    os.mkdir(on_mount)
    os.chmod(native, 0o777)
    os.chmod(on_mount, 0o777)
    expected, actual = Recorder(native), Recorder(on_mount)
    scenario(expected)
    scenario(actual)
    if os.environ.get("NMZ_FS_TEST_VERBOSE"):
        for seen in expected.seen:
            print("   ", seen)
    assert len(expected.seen) == len(actual.seen)
    diffs = [(e, a) for e, a in zip(expected.seen, actual.seen) if e != a]
    assert not diffs, "native vs mount differ:\n" + "\n".join("  native %r\n  mount  %r" % d for d in diffs)


def make_check(mount, scenario):
    def check():
        compare(mount, scenario)
    check.__name__ = scenario.__name__
    return check


def check_exdev(mount):
    def exdev_across_mounts():
        write(os.path.join(mount.mnt, "cross"), b"x")
        for fn in (os.rename, os.link):
            try:
                fn(os.path.join(mount.mnt, "cross"), os.path.join(mount.root, "cross"))
                raise AssertionError(fn.__name__ + " across the mount boundary succeeded")
            except OSError as e:
                assert e.errno == errno.EXDEV, e
    return exdev_across_mounts


def direct_changes_in_dir_show_on_mount():
    # Cached data (kept across opens when reads are not inspected) must not
    # hide a change made directly in DIR for longer than the attribute cache.
    with Mount(flags=["-cache-timeout", "200ms"] + sys.argv[1:]) as m:
        with open(os.path.join(m.mnt, "direct"), "wb") as f:
            f.write(b"old content")
        assert read(os.path.join(m.mnt, "direct")) == b"old content"
        with open(os.path.join(m.orig, "direct"), "r+b") as f:
            f.write(b"NEW")
        deadline = time.monotonic() + 10
        while read(os.path.join(m.mnt, "direct")) != b"NEW content":
            assert time.monotonic() < deadline, "the mount still shows the old data"
            time.sleep(0.05)


def replaced_in_dir_shows_on_mount():
    # A name the kernel looks up again (its entry expired) is answered from
    # the inodes nmz holds only when it still names the same file: a file
    # put in its place directly in DIR is a new inode on the mount.
    with Mount(flags=["-cache-timeout", "200ms"] + sys.argv[1:]) as m:
        path = os.path.join(m.mnt, "replaced")
        write(path, b"old file")
        with open(path, "rb") as held:  # the kernel keeps the old inode
            old_ino = os.fstat(held.fileno()).st_ino
            write(os.path.join(m.orig, "replacement"), b"new file")
            os.rename(os.path.join(m.orig, "replacement"), os.path.join(m.orig, "replaced"))
            deadline = time.monotonic() + 10
            while read(path) != b"new file":
                assert time.monotonic() < deadline, "the mount still shows the replaced file"
                time.sleep(0.05)
            assert os.lstat(path).st_ino != old_ino
            assert held.read() == b"old file"


def check_backing(mount):
    def backing_dir_mirrors_mount():
        for scenario in SCENARIOS:
            a = sorted(os.listdir(os.path.join(mount.orig, scenario.__name__)))
            b = sorted(os.listdir(os.path.join(mount.mnt, scenario.__name__)))
            assert a == b, (scenario.__name__, a, b)
    return backing_dir_mirrors_mount


if __name__ == "__main__":
    os.umask(0o022)
    # Extra inspector flags (e.g. -writeback) come from the command line.
    with Mount(flags=["-ops", "all"] + sys.argv[1:]) as m:
        run_checks([make_check(m, s) for s in SCENARIOS] + [check_exdev(m), check_backing(m),
                                                             direct_changes_in_dir_show_on_mount,
                                                             replaced_in_dir_shows_on_mount])
