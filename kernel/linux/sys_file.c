/* System calls on open file descriptors: read/write and their vector and positioned forms,
 * lseek, close, dup*, fcntl, ioctl, fsync, pipe, sendfile, ftruncate. */
#include <errno.h>

#include "fs/pipe.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define IOV_MAX 1024
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_DUPFD_CLOEXEC 1030
#define F_GETPIPE_SZ 1032
#define FD_CLOEXEC 1
#define SIGPIPE 13
#define RW_MAX 0x7ffff000ul /* Linux's MAX_RW_COUNT */

struct iovec {
    uint64_t base, len;
};

static bool readable(const struct file *f)
{
    return (f->flags & O_ACCMODE) != O_WRONLY && !(f->flags & O_PATH);
}

static bool writable(const struct file *f)
{
    return (f->flags & O_ACCMODE) != O_RDONLY && !(f->flags & O_PATH);
}

static long do_read(struct file *f, uint64_t buf, uint64_t len, uint64_t *pos)
{
    if (!readable(f))
        return -EBADF;
    if (!f->ops->read)
        return -EINVAL;
    len = MIN(len, RW_MAX);
    if (!user_range_ok(buf, len, true))
        return -EFAULT;
    return f->ops->read(f, (void *)buf, len, pos);
}

static long do_write(struct file *f, uint64_t buf, uint64_t len, uint64_t *pos)
{
    if (!writable(f))
        return -EBADF;
    if (!f->ops->write)
        return -EINVAL;
    len = MIN(len, RW_MAX);
    if (!user_range_ok(buf, len, false))
        return -EFAULT;
    long n = f->ops->write(f, (const void *)buf, len, pos);
    return n == -EPIPE ? signal_self(SIGPIPE, n) : n;
}

long sys_read(uint64_t fd, uint64_t buf, uint64_t len)
{
    struct file *f = fd_get((int)fd);
    return f ? do_read(f, buf, len, &f->pos) : -EBADF;
}

long sys_write(uint64_t fd, uint64_t buf, uint64_t len)
{
    struct file *f = fd_get((int)fd);
    return f ? do_write(f, buf, len, &f->pos) : -EBADF;
}

static bool seekable(const struct file *f)
{
    return f->inode &&
           (S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode) || S_ISCHR(f->inode->mode) ||
            S_ISBLK(f->inode->mode));
}

long sys_pread64(uint64_t fd, uint64_t buf, uint64_t len, uint64_t off)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (!f->inode || !(S_ISREG(f->inode->mode) || S_ISBLK(f->inode->mode)))
        return f->inode && S_ISDIR(f->inode->mode) ? -EISDIR : -ESPIPE;
    if ((int64_t)off < 0)
        return -EINVAL;
    uint64_t pos = off;
    return do_read(f, buf, len, &pos);
}

long sys_pwrite64(uint64_t fd, uint64_t buf, uint64_t len, uint64_t off)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (!f->inode || !(S_ISREG(f->inode->mode) || S_ISBLK(f->inode->mode)))
        return -ESPIPE;
    if ((int64_t)off < 0)
        return -EINVAL;
    uint64_t pos = off;
    int saved = f->flags;
    f->flags &= ~O_APPEND; /* pwrite writes where it is told (Linux appends; POSIX does not) */
    long n = do_write(f, buf, len, &pos);
    f->flags = saved;
    return n;
}

static long check_iov(uint64_t iov, uint64_t cnt, uint64_t *total)
{
    if (cnt > IOV_MAX)
        return -EINVAL;
    if (!user_range_ok(iov, cnt * sizeof(struct iovec), false))
        return -EFAULT;
    const struct iovec *v = (const struct iovec *)iov;
    uint64_t t = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if (v[i].len > RW_MAX || t + v[i].len > RW_MAX)
            return -EINVAL;
        t += v[i].len;
    }
    *total = t;
    return 0;
}

/* readv/writev after the vector is checked: one transfer per segment at the file position,
 * stopping at a short one; an error after some bytes reports those bytes. */
static long iov_each(struct file *f, const struct iovec *v, uint64_t cnt,
                     long (*xfer)(struct file *, uint64_t, uint64_t, uint64_t *))
{
    long done = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if (!v[i].len)
            continue;
        long n = xfer(f, v[i].base, v[i].len, &f->pos);
        if (n < 0)
            return done ? done : n;
        done += n;
        if ((uint64_t)n < v[i].len)
            break;
    }
    return done;
}

long sys_readv(uint64_t fd, uint64_t iov, uint64_t cnt)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    uint64_t total;
    long rc = check_iov(iov, cnt, &total);
    if (rc)
        return rc;
    const struct iovec *v = (const struct iovec *)iov;
    if (file_is_socket(f))
        return socket_rw_iov(f, v, cnt, false);
    return iov_each(f, v, cnt, do_read);
}

long sys_writev(uint64_t fd, uint64_t iov, uint64_t cnt)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    uint64_t total;
    long rc = check_iov(iov, cnt, &total);
    if (rc)
        return rc;
    const struct iovec *v = (const struct iovec *)iov;
    if (file_is_socket(f)) {
        long w = socket_rw_iov(f, v, cnt, true);
        return w == -EPIPE ? signal_self(SIGPIPE, w) : w;
    }
    /* Small vectors are gathered so the file sees one write (the console: one exit). */
    char merged[1024];
    if (total <= sizeof(merged) && cnt > 1 && writable(f) && f->ops->write) {
        uint64_t n = 0;
        for (uint64_t i = 0; i < cnt; i++) {
            if (!user_range_ok(v[i].base, v[i].len, false))
                return -EFAULT;
            memcpy(merged + n, (const void *)v[i].base, v[i].len);
            n += v[i].len;
        }
        long w = f->ops->write(f, merged, n, &f->pos);
        return w == -EPIPE ? signal_self(SIGPIPE, w) : w;
    }
    return iov_each(f, v, cnt, do_write);
}

long sys_lseek(uint64_t fd, uint64_t off, uint64_t whence)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (!seekable(f))
        return -ESPIPE;
    int64_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->pos;
        break;
    case SEEK_END:
        base = S_ISREG(f->inode->mode) || S_ISBLK(f->inode->mode) ? (int64_t)f->inode->size : 0;
        break;
    default:
        return -EINVAL;
    }
    int64_t pos = base + (int64_t)off;
    if (((int64_t)off > 0 && pos < base) || pos < 0)
        return -EINVAL;
    f->pos = pos;
    return pos;
}

long sys_close(uint64_t fd)
{
    return fd_close((int)fd);
}

long sys_dup(uint64_t fd)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    file_get(f);
    int n = fd_install(f, 0, false);
    if (n < 0)
        file_put(f);
    return n;
}

long sys_dup3(uint64_t fd, uint64_t nfd, uint64_t flags)
{
    struct file *f = fd_get((int)fd);
    if (flags & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    if (!f || nfd >= FD_MAX)
        return -EBADF;
    if (fd == nfd)
        return -EINVAL;
    file_get(f);
    fd_close((int)nfd);
    fd_install(f, (int)nfd, flags & O_CLOEXEC);
    return nfd;
}

long sys_dup2(uint64_t fd, uint64_t nfd)
{
    if (fd == nfd)
        return fd_get((int)fd) ? (long)fd : -EBADF;
    return sys_dup3(fd, nfd, 0);
}

long sys_fcntl(uint64_t fd, uint64_t cmd, uint64_t arg)
{
    struct file *f = fd_get((int)fd);
    struct process *p = process_current();
    if (!f)
        return -EBADF;
    int n;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= FD_MAX)
            return -EINVAL;
        file_get(f);
        n = fd_install(f, (int)arg, cmd == F_DUPFD_CLOEXEC);
        if (n < 0)
            file_put(f);
        return n;
    case F_GETFD:
        return p->cloexec[(int)fd] ? FD_CLOEXEC : 0;
    case F_SETFD:
        p->cloexec[(int)fd] = arg & FD_CLOEXEC;
        return 0;
    case F_GETFL:
        return f->flags;
    case F_SETFL:
        f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | (arg & (O_APPEND | O_NONBLOCK));
        return 0;
    case F_GETLK: {
        /* One process holds every lock there is: report the region unlocked (F_UNLCK). */
        int16_t type = 2;
        return copy_to_user(arg, &type, sizeof(type));
    }
    case F_SETLK:
    case F_SETLKW:
        return 0;
    case F_GETPIPE_SZ:
        return file_is_pipe(f) ? 65536 : -EBADF;
    default:
        return -EINVAL;
    }
}

long sys_ioctl(uint64_t fd, uint64_t cmd, uint64_t arg)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (!f->ops->ioctl)
        return -ENOTTY;
    /* Linux's ioctl takes an unsigned int: libc passes an int, sign-extended for _IOR codes. */
    return f->ops->ioctl(f, (uint32_t)cmd, arg);
}

long sys_fsync(uint64_t fd)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (f->inode && f->inode->bops && f->inode->bops->sync)
        return f->inode->bops->sync(f->inode); /* a backing file system: to the device */
    return 0; /* ramfs: everything is in memory already */
}

long sys_fdatasync(uint64_t fd)
{
    return sys_fsync(fd);
}

long sys_pipe2(uint64_t fds, uint64_t flags)
{
    if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | 040000 /* O_DIRECT */))
        return -EINVAL;
    if (!user_range_ok(fds, 2 * sizeof(int), true))
        return -EFAULT;
    struct file *rd, *wr;
    int rc = pipe_create((int)flags, &rd, &wr);
    if (rc)
        return rc;
    int a = fd_install(rd, 0, flags & O_CLOEXEC);
    if (a < 0) {
        file_put(rd);
        file_put(wr);
        return a;
    }
    int b = fd_install(wr, 0, flags & O_CLOEXEC);
    if (b < 0) {
        fd_close(a);
        file_put(wr);
        return b;
    }
    int v[2] = {a, b};
    return copy_to_user(fds, v, sizeof(v));
}

long sys_pipe(uint64_t fds)
{
    return sys_pipe2(fds, 0);
}

long sys_sendfile(uint64_t out, uint64_t in, uint64_t offp, uint64_t count)
{
    struct file *fo = fd_get((int)out), *fi = fd_get((int)in);
    if (!fo || !fi || !readable(fi) || !writable(fo))
        return -EBADF;
    if (!fi->ops->read || !fo->ops->write)
        return -EINVAL;
    if (fo->flags & O_APPEND)
        return -EINVAL;
    uint64_t off = 0, *pos = &fi->pos;
    if (offp) {
        if (!fi->inode || !S_ISREG(fi->inode->mode))
            return -ESPIPE;
        if (copy_from_user(&off, offp, sizeof(off)))
            return -EFAULT;
        pos = &off;
    }
    count = MIN(count, RW_MAX);
    char *buf = kmalloc(PAGE_SIZE * 4);
    if (!buf)
        return -ENOMEM;
    long done = 0;
    while ((uint64_t)done < count) {
        long n = fi->ops->read(fi, buf, MIN(count - done, PAGE_SIZE * 4), pos);
        if (n <= 0) {
            if (n < 0 && !done)
                done = n;
            break;
        }
        long w = fo->ops->write(fo, buf, n, &fo->pos);
        if (w < 0) {
            if (!done)
                done = w == -EPIPE ? signal_self(SIGPIPE, w) : w;
            break;
        }
        done += w;
        if (w < n)
            break;
    }
    kfree(buf);
    if (offp && done >= 0 && copy_to_user(offp, &off, sizeof(off)))
        return -EFAULT;
    return done;
}

long sys_ftruncate(uint64_t fd, uint64_t len)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (!f->inode || !S_ISREG(f->inode->mode) || f->inode->gen || !writable(f))
        return -EINVAL;
    if ((int64_t)len < 0)
        return -EINVAL;
    return ramfs_truncate(f->inode, len);
}
