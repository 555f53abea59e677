// SPDX-License-Identifier: Apache-2.0
#include "passthrough_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <future>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace nmz::plugins::fs {

namespace {

// What tells a change of a file's data: its size, its mtime, and its ctime
// (which also moves when a writer restores the mtime, as cp -p and rsync do).
struct BackingState {
  off_t size = 0;
  timespec mtime{};
  timespec ctime{};

  bool operator==(const BackingState& other) const noexcept {
    return size == other.size && mtime.tv_sec == other.mtime.tv_sec && mtime.tv_nsec == other.mtime.tv_nsec &&
           ctime.tv_sec == other.ctime.tv_sec && ctime.tv_nsec == other.ctime.tv_nsec;
  }
};

std::optional<BackingState> backing_state(int fd) {
  struct stat st {};
  if (::fstatat(fd, "", &st, AT_EMPTY_PATH) == -1) return std::nullopt;
  return BackingState{st.st_size, st.st_mtim, st.st_ctim};
}

}  // namespace

struct PassthroughFs::Inode {
  int fd = -1;  // O_PATH
  dev_t dev = 0;
  ino_t ino = 0;
  // Guarded by table_mutex_: the kernel's lookups plus one per child whose
  // `parent` this is; the name it was last reached by through the mount.
  std::uint64_t lookups = 0;
  Inode* parent = nullptr;
  std::string name;
  // A write fault the kernel's writeback could not be told about, reported
  // (once) by the next fsync or close, as a failed writeback would be.
  std::atomic<int> write_error{0};
  // The backing file as the kernel's cached pages of it are known to
  // match: as nmz's own last change left it, or as found at the last open
  // or watch; none when unknown. Another state means someone changed the
  // file behind nmz's back. Guarded by data_mutex, which nmz holds across
  // its own changes of the file.
  std::mutex data_mutex;
  std::optional<BackingState> cached_state;
  std::atomic<int> open_handles{0};
};

namespace {

struct DirHandle {
  DIR* dir = nullptr;
  dirent* pending = nullptr;  // read but not yet returned (did not fit)
  off_t offset = 0;
};

PassthroughFs& self(fuse_req_t req) { return *static_cast<PassthroughFs*>(fuse_req_userdata(req)); }

std::string proc_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

DirHandle* dir_handle(fuse_file_info* fi) { return reinterpret_cast<DirHandle*>(static_cast<uintptr_t>(fi->fh)); }

// FUSE_BUFVEC_INIT is a C compound literal.
fuse_bufvec fd_bufvec(size_t size, int fd, off_t offset) {
  fuse_bufvec vec{};
  vec.count = 1;
  vec.buf[0].size = size;
  vec.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  vec.buf[0].fd = fd;
  vec.buf[0].pos = offset;
  return vec;
}

int reply_status(fuse_req_t req, int result) { return fuse_reply_err(req, result == -1 ? errno : 0); }

// The kernel applied the caller's umask to the modes it sends; the backing
// calls must not apply nmz's too. umask is per fs_struct, so each FUSE
// worker gets a private one, once.
void use_no_umask() {
  thread_local const bool done = [] {
    if (::unshare(CLONE_FS) == 0) ::umask(0);
    return true;
  }();
  (void)done;
}

}  // namespace

template <class Change>
auto PassthroughFs::change_own(Inode* node, Change change) -> decltype(change()) {
  std::lock_guard lock(node->data_mutex);
  bool cache_was_valid = node->cached_state && node->cached_state == backing_state(node->fd);
  auto result = change();
  int saved_errno = errno;  // the caller reports the change's
  node->cached_state = cache_was_valid ? backing_state(node->fd) : std::nullopt;
  errno = saved_errno;
  return result;
}

struct PassthroughFs::Handlers {
  static void init(void* userdata, fuse_conn_info* conn) {
    auto& fs = *static_cast<PassthroughFs*>(userdata);
    if (fs.settings_.writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) conn->want |= FUSE_CAP_WRITEBACK_CACHE;
    // Read data goes from the backing file to the kernel through a pipe,
    // never through our memory (unless reads are inspected, see read).
    if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
    // libfuse asks for it by default. With it, the first read after a
    // write through the mount would see the new mtime and drop the pages
    // just written; nmz drops them itself when the backing file changed
    // behind its back (see opened and watch_loop).
    if (fs.kernel_checks_every_read() && (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)) {
      conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
    } else {
      conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
    }
    // Locks stay in the kernel, which serves them correctly for one mount.
    conn->want &= ~(FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_POSIX_LOCKS);
  }

  static void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::lookup, parent, name))) return (void)fuse_reply_err(req, error);
    fuse_entry_param entry{};
    int error = fs.lookup_known(parent, name, entry);
    if (error == EAGAIN) error = fs.do_lookup(parent, name, entry);
    if (error == ENOENT) {
      // A negative entry: the kernel may remember that the name is absent.
      entry.ino = 0;
      entry.entry_timeout = fs.settings_.cache_timeout;
      return (void)fuse_reply_entry(req, &entry);
    }
    if (error) return (void)fuse_reply_err(req, error);
    fuse_reply_entry(req, &entry);
  }

  static void forget(fuse_req_t req, fuse_ino_t ino, uint64_t count) {
    auto& fs = self(req);
    fs.forget(fs.inode(ino), count);
    fuse_reply_none(req);
  }

  static void forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    auto& fs = self(req);
    for (size_t i = 0; i < count; ++i) fs.forget(fs.inode(forgets[i].ino), forgets[i].nlookup);
    fuse_reply_none(req);
  }

  static void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::getattr, ino))) return (void)fuse_reply_err(req, error);
    reply_attr(req, fs, ino);
  }

  static void reply_attr(fuse_req_t req, PassthroughFs& fs, fuse_ino_t ino) {
    struct stat st {};
    if (::fstatat(fs.inode(ino)->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1) {
      return (void)fuse_reply_err(req, errno);
    }
    fuse_reply_attr(req, &st, fs.settings_.cache_timeout);
  }

  static void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi) {
    auto& fs = self(req);
    Inode* node = fs.inode(ino);
    FsOp op = (valid & FUSE_SET_ATTR_SIZE) ? FsOp::truncate : FsOp::setattr;
    if (int error = fs.apply(fs.check(op, ino))) return (void)fuse_reply_err(req, error);
    int error = fs.change_own(node, [&] {
      std::string proc = proc_path(node->fd);
      int result = 0;
      if (valid & FUSE_SET_ATTR_MODE) {
        result = fi ? ::fchmod(static_cast<int>(fi->fh), attr->st_mode) : ::chmod(proc.c_str(), attr->st_mode);
        if (result == -1) return errno;
      }
      if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
        uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : static_cast<uid_t>(-1);
        gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : static_cast<gid_t>(-1);
        if (::fchownat(node->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1) return errno;
      }
      if (valid & FUSE_SET_ATTR_SIZE) {
        if (fs.settings_.track_unsynced) {
          if (int logged = fs.unsynced_.before_resize({node->dev, node->ino}, node->fd, attr->st_size)) return logged;
        }
        result =
            fi ? ::ftruncate(static_cast<int>(fi->fh), attr->st_size) : ::truncate(proc.c_str(), attr->st_size);
        if (result == -1) return errno;
      }
      if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
        timespec times[2];
        times[0].tv_sec = times[1].tv_sec = 0;
        times[0].tv_nsec = times[1].tv_nsec = UTIME_OMIT;
        if (valid & FUSE_SET_ATTR_ATIME_NOW) {
          times[0].tv_nsec = UTIME_NOW;
        } else if (valid & FUSE_SET_ATTR_ATIME) {
          times[0] = attr->st_atim;
        }
        if (valid & FUSE_SET_ATTR_MTIME_NOW) {
          times[1].tv_nsec = UTIME_NOW;
        } else if (valid & FUSE_SET_ATTR_MTIME) {
          times[1] = attr->st_mtim;
        }
        result =
            fi ? ::futimens(static_cast<int>(fi->fh), times) : ::utimensat(AT_FDCWD, proc.c_str(), times, 0);
        if (result == -1) return errno;
      }
      return 0;
    });
    if (error) return (void)fuse_reply_err(req, error);
    reply_attr(req, fs, ino);
  }

  static void readlink(fuse_req_t req, fuse_ino_t ino) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::readlink, ino))) return (void)fuse_reply_err(req, error);
    std::vector<char> target(PATH_MAX + 1);
    ssize_t length = ::readlinkat(fs.inode(ino)->fd, "", target.data(), target.size());
    if (length == -1) return (void)fuse_reply_err(req, errno);
    if (static_cast<size_t>(length) == target.size()) return (void)fuse_reply_err(req, ENAMETOOLONG);
    target[static_cast<size_t>(length)] = '\0';
    fuse_reply_readlink(req, target.data());
  }

  // mknod, mkdir and symlink: create, give to the caller, look up.
  template <class Create>
  static void make_node(fuse_req_t req, FsOp op, fuse_ino_t parent, const char* name, mode_t mode, Create create) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(op, parent, name))) return (void)fuse_reply_err(req, error);
    use_no_umask();
    int dir_fd = fs.inode(parent)->fd;
    if (create(dir_fd) == -1) return (void)fuse_reply_err(req, errno);
    fs.set_owner(req, dir_fd, name, mode);
    fuse_entry_param entry{};
    if (int error = fs.do_lookup(parent, name, entry)) return (void)fuse_reply_err(req, error);
    fuse_reply_entry(req, &entry);
  }

  static void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
    make_node(req, FsOp::mknod, parent, name, mode, [&](int dir_fd) { return ::mknodat(dir_fd, name, mode, rdev); });
  }

  static void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    make_node(req, FsOp::mkdir, parent, name, mode, [&](int dir_fd) { return ::mkdirat(dir_fd, name, mode); });
  }

  static void symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
    make_node(req, FsOp::symlink, parent, name, 0, [&](int dir_fd) { return ::symlinkat(target, dir_fd, name); });
  }

  static void link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::link, parent, name))) return (void)fuse_reply_err(req, error);
    Inode* node = fs.inode(ino);
    int linked = fs.change_own(node, [&] {
      return ::linkat(AT_FDCWD, proc_path(node->fd).c_str(), fs.inode(parent)->fd, name, AT_SYMLINK_FOLLOW);
    });
    if (linked == -1) return (void)fuse_reply_err(req, errno);
    fuse_entry_param entry{};
    if (int error = fs.do_lookup(parent, name, entry)) return (void)fuse_reply_err(req, error);
    fuse_reply_entry(req, &entry);
  }

  static void unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::unlink, parent, name))) return (void)fuse_reply_err(req, error);
    reply_status(req, ::unlinkat(fs.inode(parent)->fd, name, 0));
  }

  static void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::rmdir, parent, name))) return (void)fuse_reply_err(req, error);
    reply_status(req, ::unlinkat(fs.inode(parent)->fd, name, AT_REMOVEDIR));
  }

  static void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
                     const char* new_name, unsigned int flags) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::rename, parent, name))) return (void)fuse_reply_err(req, error);
    Inode* from = fs.inode(parent);
    Inode* to = fs.inode(new_parent);
    if (::syscall(SYS_renameat2, from->fd, name, to->fd, new_name, flags) == -1) {
      return (void)fuse_reply_err(req, errno);
    }
    fs.renamed(to->fd, to, new_name);
    if (flags & RENAME_EXCHANGE) fs.renamed(from->fd, from, name);
    fuse_reply_err(req, 0);
  }

  // Flags for the backing open. O_DIRECT is served by the kernel bypassing
  // its cache for this handle (direct_io), not passed down: FUSE hands us
  // writes in buffers that O_DIRECT would reject (Namazu #181).
  static int backing_flags(PassthroughFs& fs, fuse_file_info* fi) {
    int flags = fi->flags & ~(O_NOFOLLOW | O_DIRECT | O_CREAT | O_EXCL | O_NOCTTY);
    if (fs.settings_.writeback) {
      // The kernel reads around writes and keeps appends itself.
      if ((flags & O_ACCMODE) == O_WRONLY) flags = (flags & ~O_ACCMODE) | O_RDWR;
      flags &= ~O_APPEND;
    }
    return flags | O_CLOEXEC;
  }

  // Ends open and create; the handle counts as open (closed() undoes it
  // when the reply cannot be sent).
  static void finish_open(PassthroughFs& fs, Inode* node, fuse_file_info* fi, int fd) {
    fi->fh = static_cast<uint64_t>(fd);
    if (fi->flags & O_DIRECT) fi->direct_io = 1;
    // Reads that are never inspected may be served from the kernel's cache
    // across opens, unless the file was changed behind nmz's back since the
    // kernel cached it. With writeback the kernel trusts its own mtime and
    // size, so nmz cannot tell it what changed: each open starts afresh.
    bool cache_valid = fs.opened(node);
    if (cache_valid && !fi->direct_io && !fs.settings_.writeback && !fs.gate_.may_inspect(FsOp::read)) {
      fi->keep_cache = 1;
    }
    // FLUSH only relays what close() of the backing file reports, and on
    // the root's filesystem that is nothing: the kernel need not ask (one
    // round trip less per close). With writeback, FLUSH is where the
    // kernel's cached writes and their errors come back.
    if (fs.close_is_silent_ && node->dev == fs.root_->dev && !fs.settings_.writeback &&
        !fs.gate_.may_inspect(FsOp::flush)) {
      fi->noflush = 1;
    }
  }

  static void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::open, ino))) return (void)fuse_reply_err(req, error);
    // open(O_TRUNC) changes data as truncate() does, and is inspected as one.
    if (fi->flags & O_TRUNC) {
      if (int error = fs.apply(fs.check(FsOp::truncate, ino))) return (void)fuse_reply_err(req, error);
    }
    Inode* node = fs.inode(ino);
    if ((fi->flags & O_TRUNC) && fs.settings_.track_unsynced) {
      if (int error = fs.unsynced_.before_resize({node->dev, node->ino}, node->fd, 0)) {
        return (void)fuse_reply_err(req, error);
      }
    }
    auto open_backing = [&] { return ::open(proc_path(node->fd).c_str(), backing_flags(fs, fi)); };
    // Truncating is nmz's own change of the data (the kernel drops its pages).
    int fd = (fi->flags & O_TRUNC) ? fs.change_own(node, open_backing) : open_backing();
    if (fd == -1) return (void)fuse_reply_err(req, errno);
    finish_open(fs, node, fi, fd);
    if (fuse_reply_open(req, fi) != 0) {
      fs.closed(node);
      ::close(fd);
    }
  }

  static void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::create, parent, name))) return (void)fuse_reply_err(req, error);
    use_no_umask();
    int dir_fd = fs.inode(parent)->fd;
    int flags = backing_flags(fs, fi);
    // Exclusive first, so that only a file this call created is given to
    // the caller; a name that appeared meanwhile is opened as it is.
    bool created = true;
    int fd = ::openat(dir_fd, name, flags | O_CREAT | O_EXCL, mode);
    if (fd == -1 && errno == EEXIST && !(fi->flags & O_EXCL)) {
      created = false;
      fd = ::openat(dir_fd, name, flags, mode);
    }
    if (fd == -1) return (void)fuse_reply_err(req, errno);
    if (created) fs.set_owner(req, dir_fd, name, mode);
    fuse_entry_param entry{};
    if (int error = fs.do_lookup(parent, name, entry)) {
      ::close(fd);
      return (void)fuse_reply_err(req, error);
    }
    Inode* node = fs.inode(entry.ino);
    finish_open(fs, node, fi, fd);
    if (fuse_reply_create(req, &entry, fi) != 0) {
      fs.closed(node);
      ::close(fd);
    }
  }

  static void release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    self(req).closed(self(req).inode(ino));
    ::close(static_cast<int>(fi->fh));
    fuse_reply_err(req, 0);
  }

  static void flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::flush, ino))) return (void)fuse_reply_err(req, error);
    if (int error = fs.inode(ino)->write_error.exchange(0)) return (void)fuse_reply_err(req, error);
    // close() of a duplicate reports what close() of the original would
    // (NFS-style deferred write errors) without closing it. Without a free
    // descriptor for the duplicate there is nothing to learn, and close()
    // must not fail for it.
    int duplicate = ::dup(static_cast<int>(fi->fh));
    reply_status(req, duplicate == -1 ? 0 : ::close(duplicate));
  }

  static void fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(datasync ? FsOp::fdatasync : FsOp::fsync, ino))) {
      return (void)fuse_reply_err(req, error);
    }
    int fd = static_cast<int>(fi->fh);
    int result = datasync ? ::fdatasync(fd) : ::fsync(fd);
    Inode* node = fs.inode(ino);
    if (result == 0 && fs.settings_.track_unsynced) fs.unsynced_.synced({node->dev, node->ino});
    if (result == 0) {
      if (int error = node->write_error.exchange(0)) return (void)fuse_reply_err(req, error);
    }
    reply_status(req, result);
  }

  static void read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
    auto& fs = self(req);
    if (!fs.gate_.inspects(FsOp::read)) {
      // Spliced from the backing file to the kernel (FUSE_CAP_SPLICE_WRITE).
      fuse_bufvec data = fd_bufvec(size, static_cast<int>(fi->fh), offset);
      fuse_reply_data(req, &data, FUSE_BUF_SPLICE_MOVE);
      return;
    }
    // A post-read verdict needs the data in hand before it may drop it: a
    // copy through a buffer kept per worker.
    thread_local std::unique_ptr<char[]> buffer;
    thread_local size_t capacity = 0;
    if (capacity < size) {
      buffer.reset(new (std::nothrow) char[size]);
      capacity = buffer ? size : 0;
      if (!buffer) return (void)fuse_reply_err(req, ENOMEM);
    }
    ssize_t got = ::pread(static_cast<int>(fi->fh), buffer.get(), size, offset);
    if (got == -1) return (void)fuse_reply_err(req, errno);
    if (int error = fs.apply(fs.check(FsOp::read, ino))) return (void)fuse_reply_err(req, error);
    fuse_reply_buf(req, buffer.get(), static_cast<size_t>(got));
  }

  static void write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in, off_t offset, fuse_file_info* fi) {
    auto& fs = self(req);
    const size_t requested = fuse_buf_size(in);
    size_t size = requested;
    Verdict verdict = fs.check(FsOp::write, ino);
    bool deferred_short = false;
    if (verdict.kind == Verdict::Kind::short_write) {
      size = static_cast<size_t>(std::min<std::uint64_t>(verdict.keep_bytes.value_or(size / 2), size));
      // The kernel's writeback ignores a short count (the rest of its pages
      // would be dropped as written): the loss is reported at fsync/close.
      deferred_short = fs.settings_.writeback && size < requested;
    } else if (int error = fs.apply(verdict)) {
      return (void)fuse_reply_err(req, error);
    }
    if (fs.settings_.track_unsynced) {
      Inode* node = fs.inode(ino);
      if (int error = fs.unsynced_.before_change({node->dev, node->ino}, node->fd, offset, static_cast<off_t>(size))) {
        return (void)fuse_reply_err(req, error);
      }
    }
    fuse_bufvec out = fd_bufvec(size, static_cast<int>(fi->fh), offset);
    // The kernel keeps what it wrote through its cache (for a handle of
    // its own or its writeback of mmap'ed pages).
    ssize_t written = size == 0 ? 0 : fs.change_own(fs.inode(ino), [&] {
      return fuse_buf_copy(&out, in, static_cast<fuse_buf_copy_flags>(0));
    });
    if (written < 0) return (void)fuse_reply_err(req, static_cast<int>(-written));
    if (deferred_short) {
      fs.inode(ino)->write_error.store(EIO);
      written = static_cast<ssize_t>(requested);
    }
    fuse_reply_write(req, static_cast<size_t>(written));
  }

  static void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto& fs = self(req);
    int fd = ::openat(fs.inode(ino)->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) return (void)fuse_reply_err(req, errno);
    auto* handle = new (std::nothrow) DirHandle;
    if (handle) handle->dir = ::fdopendir(fd);
    if (!handle || !handle->dir) {
      int error = handle ? errno : ENOMEM;
      ::close(fd);
      delete handle;
      return (void)fuse_reply_err(req, error);
    }
    if (int error = fs.apply(fs.check(FsOp::opendir, ino))) {
      ::closedir(handle->dir);
      delete handle;
      return (void)fuse_reply_err(req, error);
    }
    fi->fh = reinterpret_cast<uintptr_t>(handle);
    if (fuse_reply_open(req, fi) != 0) {
      ::closedir(handle->dir);
      delete handle;
    }
  }

  static void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::readdir, ino))) return (void)fuse_reply_err(req, error);
    DirHandle* handle = dir_handle(fi);
    if (offset != handle->offset) {
      ::seekdir(handle->dir, offset);
      handle->pending = nullptr;
      handle->offset = offset;
    }
    std::vector<char> buffer(size);
    size_t used = 0;
    int error = 0;
    while (true) {
      if (!handle->pending) {
        errno = 0;
        handle->pending = ::readdir(handle->dir);
        if (!handle->pending) {
          error = errno;
          break;
        }
      }
      struct stat st {};
      st.st_ino = handle->pending->d_ino;
      st.st_mode = static_cast<mode_t>(handle->pending->d_type) << 12;
      size_t needed = fuse_add_direntry(req, buffer.data() + used, size - used, handle->pending->d_name, &st,
                                        handle->pending->d_off);
      if (needed > size - used) break;
      used += needed;
      handle->offset = handle->pending->d_off;
      handle->pending = nullptr;
    }
    // An error after some entries: return those; the next call reports it.
    if (error && used == 0) return (void)fuse_reply_err(req, error);
    fuse_reply_buf(req, buffer.data(), used);
  }

  static void releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    DirHandle* handle = dir_handle(fi);
    ::closedir(handle->dir);
    delete handle;
    fuse_reply_err(req, 0);
  }

  static void fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::fsyncdir, ino))) return (void)fuse_reply_err(req, error);
    int fd = ::dirfd(dir_handle(fi)->dir);
    reply_status(req, datasync ? ::fdatasync(fd) : ::fsync(fd));
  }

  static void statfs(fuse_req_t req, fuse_ino_t ino) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::statfs, ino))) return (void)fuse_reply_err(req, error);
    struct statvfs st {};
    if (::fstatvfs(fs.inode(ino)->fd, &st) == -1) return (void)fuse_reply_err(req, errno);
    fuse_reply_statfs(req, &st);
  }

  static void setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::setxattr, ino))) return (void)fuse_reply_err(req, error);
    Inode* node = fs.inode(ino);
    reply_status(req, fs.change_own(node, [&] {
      return ::setxattr(proc_path(node->fd).c_str(), name, value, size, flags);
    }));
  }

  // getxattr and listxattr: a size query when `size` is 0, the bytes otherwise.
  template <class Get>
  static void reply_xattr_bytes(fuse_req_t req, size_t size, Get get) {
    if (size == 0) {
      ssize_t needed = get(nullptr, 0);
      if (needed == -1) return (void)fuse_reply_err(req, errno);
      return (void)fuse_reply_xattr(req, static_cast<size_t>(needed));
    }
    std::vector<char> value(size);
    ssize_t got = get(value.data(), size);
    if (got == -1) return (void)fuse_reply_err(req, errno);
    fuse_reply_buf(req, value.data(), static_cast<size_t>(got));
  }

  static void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::getxattr, ino))) return (void)fuse_reply_err(req, error);
    std::string proc = proc_path(fs.inode(ino)->fd);
    reply_xattr_bytes(req, size, [&](char* out, size_t n) { return ::getxattr(proc.c_str(), name, out, n); });
  }

  static void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::listxattr, ino))) return (void)fuse_reply_err(req, error);
    std::string proc = proc_path(fs.inode(ino)->fd);
    reply_xattr_bytes(req, size, [&](char* out, size_t n) { return ::listxattr(proc.c_str(), out, n); });
  }

  static void removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::removexattr, ino))) return (void)fuse_reply_err(req, error);
    Inode* node = fs.inode(ino);
    reply_status(req, fs.change_own(node, [&] { return ::removexattr(proc_path(node->fd).c_str(), name); }));
  }

  static void fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, fuse_file_info* fi) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::fallocate, ino))) return (void)fuse_reply_err(req, error);
    Inode* node = fs.inode(ino);
    if (fs.settings_.track_unsynced && (mode & ~FALLOC_FL_KEEP_SIZE) != 0) {
      // Punching, zeroing, collapsing or inserting changes bytes up to the end.
      off_t to_end = std::numeric_limits<off_t>::max() - offset;
      if (int error = fs.unsynced_.before_change({node->dev, node->ino}, node->fd, offset, to_end)) {
        return (void)fuse_reply_err(req, error);
      }
    }
    // The kernel drops the pages of a range it punches or zeroes.
    reply_status(req, fs.change_own(node, [&] { return ::fallocate(static_cast<int>(fi->fh), mode, offset, length); }));
  }

  static void copy_file_range(fuse_req_t req, fuse_ino_t, off_t offset_in, fuse_file_info* fi_in, fuse_ino_t ino_out,
                              off_t offset_out, fuse_file_info* fi_out, size_t length, int flags) {
    auto& fs = self(req);
    if (int error = fs.apply(fs.check(FsOp::copy_file_range, ino_out))) return (void)fuse_reply_err(req, error);
    Inode* node = fs.inode(ino_out);
    if (fs.settings_.track_unsynced) {
      if (int error = fs.unsynced_.before_change({node->dev, node->ino}, node->fd, offset_out,
                                                 static_cast<off_t>(length))) {
        return (void)fuse_reply_err(req, error);
      }
    }
    // The kernel drops the pages of the range copied to.
    ssize_t copied = fs.change_own(node, [&] {
      return ::copy_file_range(static_cast<int>(fi_in->fh), &offset_in, static_cast<int>(fi_out->fh), &offset_out,
                               length, static_cast<unsigned>(flags));
    });
    if (copied == -1) return (void)fuse_reply_err(req, errno);
    fuse_reply_write(req, static_cast<size_t>(copied));
  }

  static void lseek(fuse_req_t req, fuse_ino_t, off_t offset, int whence, fuse_file_info* fi) {
    // With writeback the data may still be in the kernel's cache, so the
    // backing file's holes are not the file's: ENOSYS makes the kernel
    // answer from its own size (no holes), which is at least consistent.
    if (self(req).settings_.writeback) return (void)fuse_reply_err(req, ENOSYS);
    off_t result = ::lseek(static_cast<int>(fi->fh), offset, whence);
    if (result == -1) return (void)fuse_reply_err(req, errno);
    fuse_reply_lseek(req, result);
  }
};

const fuse_lowlevel_ops& PassthroughFs::operations() noexcept {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.init = &Handlers::init;
    o.lookup = &Handlers::lookup;
    o.forget = &Handlers::forget;
    o.forget_multi = &Handlers::forget_multi;
    o.getattr = &Handlers::getattr;
    o.setattr = &Handlers::setattr;
    o.readlink = &Handlers::readlink;
    o.mknod = &Handlers::mknod;
    o.mkdir = &Handlers::mkdir;
    o.symlink = &Handlers::symlink;
    o.link = &Handlers::link;
    o.unlink = &Handlers::unlink;
    o.rmdir = &Handlers::rmdir;
    o.rename = &Handlers::rename;
    o.open = &Handlers::open;
    o.create = &Handlers::create;
    o.release = &Handlers::release;
    o.flush = &Handlers::flush;
    o.fsync = &Handlers::fsync;
    o.read = &Handlers::read;
    o.write_buf = &Handlers::write_buf;
    o.opendir = &Handlers::opendir;
    o.readdir = &Handlers::readdir;
    o.releasedir = &Handlers::releasedir;
    o.fsyncdir = &Handlers::fsyncdir;
    o.statfs = &Handlers::statfs;
    o.setxattr = &Handlers::setxattr;
    o.getxattr = &Handlers::getxattr;
    o.listxattr = &Handlers::listxattr;
    o.removexattr = &Handlers::removexattr;
    o.fallocate = &Handlers::fallocate;
    o.copy_file_range = &Handlers::copy_file_range;
    o.lseek = &Handlers::lseek;
    return o;
  }();
  return ops;
}

PassthroughFs::PassthroughFs(PassthroughSettings settings, OperationGate& gate,
                             std::function<void(std::string_view)> warn)
    : settings_(std::move(settings)), gate_(gate), warn_(std::move(warn)), root_(std::make_unique<Inode>()) {}

void PassthroughFs::set_session(fuse_session* session) {
  session_ = session;
  // With writeback the kernel keeps its own mtime and size, and caches
  // nothing across opens: a new open is where changes show.
  if (settings_.writeback || kernel_checks_every_read()) return;
  watcher_ = std::thread([this] { watch_loop(); });
}

bool PassthroughFs::opened(Inode* node) {
  ++node->open_handles;
  bool changed_behind;
  bool cache_valid;
  {
    std::lock_guard lock(node->data_mutex);
    std::optional<BackingState> now = backing_state(node->fd);
    cache_valid = node->cached_state && node->cached_state == now;
    changed_behind = node->cached_state && !cache_valid;
    node->cached_state = now;
  }
  // The size the kernel holds would cut reads short (or long) until the
  // attributes expire. Attributes only: no page is locked for that, so the
  // worker may ask while the open waits.
  if (changed_behind) fuse_lowlevel_notify_inval_inode(session_, reinterpret_cast<uintptr_t>(node), -1, 0);
  return cache_valid;
}

void PassthroughFs::closed(Inode* node) noexcept { --node->open_handles; }

void PassthroughFs::watch_loop() {
  const auto period = std::chrono::duration<double>(settings_.cache_timeout);
  std::unique_lock lock(watch_mutex_);
  while (!watch_wake_.wait_for(lock, period, [this] { return watch_stop_; })) {
    lock.unlock();
    // From this thread, which serves no request: dropping pages waits for
    // the page locks of reads that FUSE workers are answering.
    for (fuse_ino_t ino : open_files_changed_behind()) fuse_lowlevel_notify_inval_inode(session_, ino, 0, 0);
    lock.lock();
  }
}

std::vector<fuse_ino_t> PassthroughFs::open_files_changed_behind() {
  std::vector<fuse_ino_t> changed;
  std::lock_guard table(table_mutex_);
  for (auto& [key, node] : table_) {
    if (node->open_handles.load() == 0) continue;
    // A file nmz is changing right now is looked at next time.
    std::unique_lock data(node->data_mutex, std::try_to_lock);
    if (!data.owns_lock()) continue;
    std::optional<BackingState> now = backing_state(node->fd);
    if (node->cached_state == now) continue;
    node->cached_state = now;
    changed.push_back(reinterpret_cast<uintptr_t>(node));
  }
  return changed;
}

PassthroughFs::~PassthroughFs() {
  join_background();
  for (auto& [key, node] : table_) {
    ::close(node->fd);
    delete node;
  }
  if (root_->fd >= 0) ::close(root_->fd);
}

int PassthroughFs::open_root() {
  root_->fd = ::open(settings_.original_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_->fd == -1) return errno;
  struct stat st {};
  if (::fstat(root_->fd, &st) == -1) return errno;
  root_->dev = st.st_dev;
  root_->ino = st.st_ino;
  // Local filesystems without a flush method: close() never reports an
  // error on them.
  struct statfs fs {};
  if (::fstatfs(root_->fd, &fs) == 0) {
    constexpr unsigned long kSilentClose[] = {TMPFS_MAGIC, EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC, BTRFS_SUPER_MAGIC};
    for (unsigned long magic : kSilentClose) {
      close_is_silent_ = close_is_silent_ || static_cast<unsigned long>(fs.f_type) == magic;
    }
  }
  return 0;
}

PassthroughFs::Inode* PassthroughFs::inode(fuse_ino_t ino) noexcept {
  return ino == FUSE_ROOT_ID ? root_.get() : reinterpret_cast<Inode*>(static_cast<uintptr_t>(ino));
}

int PassthroughFs::do_lookup(fuse_ino_t parent_ino, const char* name, fuse_entry_param& entry) {
  Inode* parent = inode(parent_ino);
  int fd = ::openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd == -1) return errno;
  if (::fstatat(fd, "", &entry.attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1) {
    int error = errno;
    ::close(fd);
    return error;
  }
  UnsyncedLog::FileKey key{entry.attr.st_dev, entry.attr.st_ino};
  std::unique_lock lock(table_mutex_);
  auto [it, inserted] = table_.try_emplace(key, nullptr);
  if (inserted) {
    auto* node = new (std::nothrow) Inode;
    if (!node) {
      table_.erase(it);
      lock.unlock();
      ::close(fd);
      return ENOMEM;
    }
    node->fd = fd;
    node->dev = key.first;
    node->ino = key.second;
    it->second = node;
  }
  hand_out(lock, it->second, parent, name, entry);
  if (!inserted) ::close(fd);
  return 0;
}

int PassthroughFs::lookup_known(fuse_ino_t parent_ino, const char* name, fuse_entry_param& entry) {
  Inode* parent = inode(parent_ino);
  if (::fstatat(parent->fd, name, &entry.attr, AT_SYMLINK_NOFOLLOW) == -1) return errno;
  std::unique_lock lock(table_mutex_);
  auto it = table_.find({entry.attr.st_dev, entry.attr.st_ino});
  if (it == table_.end()) return EAGAIN;
  // The node's O_PATH descriptor holds that very inode, so the number
  // cannot have been reused by another file since.
  hand_out(lock, it->second, parent, name, entry);
  return 0;
}

void PassthroughFs::hand_out(std::unique_lock<std::mutex>& lock, Inode* node, Inode* parent, std::string_view name,
                             fuse_entry_param& entry) {
  ++node->lookups;
  Inode* replaced = rename_locked(node, parent, name);
  lock.unlock();
  if (replaced) forget(replaced, 1);
  entry.attr_timeout = settings_.cache_timeout;
  entry.entry_timeout = settings_.cache_timeout;
  entry.ino = reinterpret_cast<uintptr_t>(node);
}

PassthroughFs::Inode* PassthroughFs::rename_locked(Inode* node, Inode* parent, std::string_view name) {
  if (node->parent == parent && node->name == name) return nullptr;
  ++parent->lookups;
  Inode* old_parent = node->parent;
  node->parent = parent;
  node->name.assign(name);
  return old_parent;
}

void PassthroughFs::renamed(int parent_fd, Inode* parent, const char* name) {
  struct stat st {};
  if (::fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) return;
  std::unique_lock lock(table_mutex_);
  auto it = table_.find({st.st_dev, st.st_ino});
  if (it == table_.end()) return;  // the kernel holds no inode for it: nothing to rename
  Inode* replaced = rename_locked(it->second, parent, name);
  lock.unlock();
  if (replaced) forget(replaced, 1);
}

void PassthroughFs::forget(Inode* node, std::uint64_t count) {
  // A node that goes releases its parent's reference, which may make the
  // parent go too.
  while (node && node != root_.get()) {
    std::unique_lock lock(table_mutex_);
    node->lookups -= std::min(node->lookups, count);
    if (node->lookups > 0) return;
    table_.erase({node->dev, node->ino});
    lock.unlock();
    Inode* parent = node->parent;
    ::close(node->fd);
    delete node;
    node = parent;
    count = 1;
  }
}

std::string PassthroughFs::path_of(Inode* node) {
  // From the names recorded as the kernel looked them up, created or
  // renamed them through the mount: no system call per event.
  std::lock_guard lock(table_mutex_);
  std::size_t length = 0;
  std::size_t depth = 0;
  for (Inode* at = node; at->parent; at = at->parent) {
    length += at->name.size() + 1;
    ++depth;
  }
  if (depth == 0) return "";
  std::string path(length - 1, '/');
  std::size_t end = path.size();
  for (Inode* at = node; at->parent; at = at->parent) {
    end -= at->name.size();
    path.replace(end, at->name.size(), at->name);
    if (end > 0) --end;
  }
  return path;
}

std::string PassthroughFs::path_of(fuse_ino_t parent, const char* name) {
  std::string path = path_of(inode(parent));
  return path.empty() ? std::string(name) : path + "/" + name;
}

Verdict PassthroughFs::check(FsOp op, fuse_ino_t ino, const char* name) {
  if (!gate_.inspects(op)) return {};
  return gate_.inspect(op, name ? path_of(ino, name) : path_of(inode(ino)));
}

int PassthroughFs::apply(const Verdict& verdict) {
  switch (verdict.kind) {
    case Verdict::Kind::proceed:
    case Verdict::Kind::short_write:  // only a write can be cut short; elsewhere it is a plain go
      return 0;
    case Verdict::Kind::delay_then_proceed:
      std::this_thread::sleep_for(verdict.delay);
      return 0;
    case Verdict::Kind::fail:
      return verdict.error;
    case Verdict::Kind::lose_unsynced:
      lose_unsynced();
      return verdict.error;
  }
  return 0;
}

void PassthroughFs::lose_unsynced() {
  if (!settings_.track_unsynced) {
    warn_("lose-unsynced fault without -track-unsynced: no data was logged, so none is lost (only the errno)");
    return;
  }
  std::vector<fuse_ino_t> stale;
  {
    auto restored = unsynced_.rollback();
    std::lock_guard lock(table_mutex_);
    for (const auto& key : restored) {
      if (auto it = table_.find(key); it != table_.end()) stale.push_back(reinterpret_cast<uintptr_t>(it->second));
    }
  }
  // From another thread: the kernel may hold page locks for the very request
  // this worker serves (a write of a rolled-back file), and the invalidation
  // waits for them. Usually it finishes at once, and the faulted operation
  // is answered only then, so that the caller sees the rolled-back state.
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  {
    std::lock_guard lock(background_mutex_);
    background_.emplace_back([this, stale, done] {
      for (fuse_ino_t ino : stale) fuse_lowlevel_notify_inval_inode(session_, ino, 0, 0);
      done->set_value();
    });
  }
  finished.wait_for(std::chrono::seconds(1));
}

void PassthroughFs::stop_watching() {
  {
    std::lock_guard lock(watch_mutex_);
    watch_stop_ = true;
  }
  watch_wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void PassthroughFs::join_background() {
  stop_watching();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(background_mutex_);
    threads.swap(background_);
  }
  for (auto& thread : threads) thread.join();
}

void PassthroughFs::set_owner(fuse_req_t req, int dir_fd, const char* name, mode_t mode) {
  const fuse_ctx* caller = fuse_req_ctx(req);
  if (caller->uid == 0 && caller->gid == 0) return;  // what root's creation already gave it
  // The group follows a set-group-ID directory, which the backing creation
  // already applied; otherwise it is the caller's.
  struct stat dir {};
  bool inherit_group = ::fstat(dir_fd, &dir) == 0 && (dir.st_mode & S_ISGID);
  gid_t gid = inherit_group ? static_cast<gid_t>(-1) : caller->gid;
  // chown clears the set-ID bits of what root created; the caller creating
  // it directly would have kept them (the kernel already dropped those the
  // caller may not have), so they are put back as the creation left them.
  struct stat created {};
  bool set_id = (mode & (S_ISUID | S_ISGID)) && ::fstatat(dir_fd, name, &created, AT_SYMLINK_NOFOLLOW) == 0 &&
                (created.st_mode & (S_ISUID | S_ISGID));
  if (::fchownat(dir_fd, name, caller->uid, gid, AT_SYMLINK_NOFOLLOW) == -1) {
    warn_("cannot give " + std::string(name) + " to uid " + std::to_string(caller->uid) + ": " + std::strerror(errno));
    return;
  }
  if (set_id && ::fchmodat(dir_fd, name, created.st_mode & 07777, 0) == -1) {
    warn_("cannot restore the set-ID bits of " + std::string(name) + ": " + std::strerror(errno));
  }
}

}  // namespace nmz::plugins::fs
