/* The stat family (stat, lstat, fstat, newfstatat, statx) and getdents64: what a program learns
 * about files without opening them, in the x86-64 layouts (struct stat, struct statx,
 * struct linux_dirent64). */
#include <errno.h>

#include "fs/pipe.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/mm.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_STATX_SYNC_TYPE 0x6000

/* ---- stat ---- */

struct stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    int64_t reserved[3];
};
_Static_assert(sizeof(struct stat) == 144, "x86-64 struct stat");

#define DEV_RAMFS 0x10 /* st_dev of every file here */
#define DEV_PIPEFS 0x0c

static int64_t file_size(const struct inode *ino)
{
    return S_ISREG(ino->mode) || S_ISLNK(ino->mode) ? (int64_t)ino->size
           : S_ISDIR(ino->mode)                     ? 4096
                                                    : 0;
}

static void fill_stat(const struct inode *ino, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->dev = DEV_RAMFS;
    st->ino = ino->ino;
    st->nlink = ino->nlink;
    st->mode = ino->mode;
    st->uid = ino->uid;
    st->gid = ino->gid;
    st->rdev = ino->rdev;
    st->size = file_size(ino);
    st->blksize = 4096;
    st->blocks = (st->size + 511) / 512;
    st->atime = ino->atime.sec;
    st->atime_ns = ino->atime.nsec;
    st->mtime = ino->mtime.sec;
    st->mtime_ns = ino->mtime.nsec;
    st->ctime = ino->ctime.sec;
    st->ctime_ns = ino->ctime.nsec;
}

/* An open file without an inode (pipe, eventfd, epoll) stats as a FIFO or an anonymous inode. */
static void fill_stat_file(const struct file *f, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->dev = DEV_PIPEFS;
    st->ino = (uint64_t)(uintptr_t)f->priv >> 4 & 0xffffff;
    st->nlink = 1;
    st->mode = file_is_pipe(f) ? (S_IFIFO | 0600) : file_is_socket(f) ? (S_IFSOCK | 0777) : 0600;
    st->blksize = 4096;
}

long sys_fstat(uint64_t fd, uint64_t ust)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    struct stat st;
    if (f->inode)
        fill_stat(f->inode, &st);
    else
        fill_stat_file(f, &st);
    return copy_to_user(ust, &st, sizeof(st));
}

long sys_newfstatat(uint64_t dirfd, uint64_t path, uint64_t ust, uint64_t flags)
{
    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    if (!user_range_ok(ust, sizeof(struct stat), true))
        return -EFAULT;
    struct inode *ino;
    int rc = resolve_at((long)dirfd, path, (int)flags,
                        (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &ino);
    if (rc == -EBADF && (flags & AT_EMPTY_PATH) && fd_get((int)dirfd))
        return sys_fstat(dirfd, ust);
    if (rc)
        return rc;
    struct stat st;
    fill_stat(ino, &st);
    return copy_to_user(ust, &st, sizeof(st));
}

long sys_stat(uint64_t path, uint64_t st)
{
    return sys_newfstatat(AT_FDCWD, path, st, 0);
}

long sys_lstat(uint64_t path, uint64_t st)
{
    return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

struct statx_ts {
    int64_t sec;
    uint32_t nsec;
    int32_t pad;
};
struct statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad0;
    uint64_t ino, size, blocks, attributes_mask;
    struct statx_ts atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx");
#define STATX_BASIC_STATS 0x7ff

long sys_statx(uint64_t dirfd, uint64_t path, uint64_t flags, uint64_t mask, uint64_t ubuf)
{
    if (flags &
        ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
        return -EINVAL;
    if (!user_range_ok(ubuf, sizeof(struct statx), true))
        return -EFAULT;
    struct inode *ino;
    struct stat st;
    int rc = resolve_at((long)dirfd, path, (int)flags,
                        (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &ino);
    if (rc == -EBADF && (flags & AT_EMPTY_PATH) && fd_get((int)dirfd)) {
        fill_stat_file(fd_get((int)dirfd), &st);
    } else if (rc) {
        return rc;
    } else {
        fill_stat(ino, &st);
    }
    struct statx x;
    memset(&x, 0, sizeof(x));
    x.mask = STATX_BASIC_STATS;
    x.blksize = st.blksize;
    x.nlink = st.nlink;
    x.uid = st.uid;
    x.gid = st.gid;
    x.mode = st.mode;
    x.ino = st.ino;
    x.size = st.size;
    x.blocks = st.blocks;
    x.atime = (struct statx_ts){st.atime, (uint32_t)st.atime_ns, 0};
    x.mtime = (struct statx_ts){st.mtime, (uint32_t)st.mtime_ns, 0};
    x.ctime = (struct statx_ts){st.ctime, (uint32_t)st.ctime_ns, 0};
    x.rdev_major = st.rdev >> 8;
    x.rdev_minor = st.rdev & 0xff;
    x.dev_major = 0;
    x.dev_minor = st.dev;
    return copy_to_user(ubuf, &x, sizeof(x));
}

/* ---- directories ---- */

struct dirent64 {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    char name[];
} __packed;

static uint8_t dtype(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR:
        return 4;
    case S_IFREG:
        return 8;
    case S_IFLNK:
        return 10;
    case S_IFCHR:
        return 2;
    case S_IFIFO:
        return 1;
    default:
        return 0;
    }
}

long sys_getdents64(uint64_t fd, uint64_t buf, uint64_t len)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (!f->inode || !S_ISDIR(f->inode->mode))
        return -ENOTDIR;
    if (!user_range_ok(buf, len, true))
        return -EFAULT;
    /* The cursor lives in the file (priv), made on first use. */
    struct dirent_cursor *c = f->priv;
    if (!c) {
        c = kzalloc(sizeof(*c));
        f->priv = c; /* freed with the file (ramfs_dir_ops.release) */
    }
    uint64_t used = 0;
    for (;;) {
        struct inode *ino;
        struct dirent_cursor saved = c ? *c : (struct dirent_cursor){0};
        const char *name = vfs_dirent(f->inode, f->pos, &ino, c);
        if (!name)
            break;
        size_t nl = strlen(name);
        uint16_t reclen = ALIGN_UP(sizeof(struct dirent64) + nl + 1, 8);
        if (used + reclen > len) {
            if (used == 0)
                return -EINVAL;
            if (c)
                *c = saved; /* this entry comes again next time */
            break;
        }
        struct dirent64 *d = (struct dirent64 *)(buf + used);
        d->ino = ino->ino;
        d->off = f->pos + 1;
        d->reclen = reclen;
        d->type = dtype(ino->mode);
        memcpy(d->name, name, nl + 1);
        used += reclen;
        f->pos++;
    }
    return used;
}
