/* System calls that name files: open, access, cwd, and the calls that change names (mkdir,
 * unlink, rename, link, symlink, readlink); the stat family and getdents64 are in sys_stat.c.
 * The *at forms take a directory descriptor or AT_FDCWD; the old forms call them with AT_FDCWD.
 * We run as root: permission bits are kept and reported but only the execute bits are checked. */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/mm.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EACCESS 0x200
#define AT_EMPTY_PATH 0x1000
#define O_TMPFILE 020000000
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* One CPU and no preemption in the kernel: one pair of path buffers serves every call. */
static char pathbuf[2][PATH_MAX];

static long get_path(uint64_t upath, int which)
{
    long n = strncpy_from_user(pathbuf[which], upath, PATH_MAX);
    if (n < 0)
        return n;
    return n;
}

/* The directory a relative path starts from. */
static int start_dir(long dirfd, const char *path, struct inode **dir)
{
    if (path[0] == '/') {
        *dir = vfs_root();
        return 0;
    }
    if ((int)dirfd == AT_FDCWD) {
        *dir = process_current()->cwd;
        return 0;
    }
    struct file *f = fd_get((int)dirfd);
    if (!f)
        return -EBADF;
    if (!f->inode || !S_ISDIR(f->inode->mode))
        return -ENOTDIR;
    *dir = f->inode;
    return 0;
}

/* Resolves (dirfd, user path) to an inode; AT_EMPTY_PATH with "" means dirfd itself. */
int resolve_at(long dirfd, uint64_t upath, int atflags, int lookup, struct inode **out)
{
    long n = get_path(upath, 0);
    if (n < 0)
        return (int)n;
    if (n == 0 && (atflags & AT_EMPTY_PATH)) {
        if ((int)dirfd == AT_FDCWD) {
            *out = process_current()->cwd;
            return 0;
        }
        struct file *f = fd_get((int)dirfd);
        if (!f)
            return -EBADF;
        if (!f->inode)
            return -EBADF; /* pipes and friends: fstat handles them */
        *out = f->inode;
        return 0;
    }
    struct inode *dir;
    int rc = start_dir(dirfd, pathbuf[0], &dir);
    if (rc)
        return rc;
    return vfs_lookup(dir, pathbuf[0], lookup, out);
}

/* Resolves the parent of (dirfd, path in pathbuf[which]) and copies the last name to last. */
static int parent_at(long dirfd, uint64_t upath, int which, struct inode **parent, char *last,
                     bool *slash)
{
    long n = get_path(upath, which);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return -ENOENT;
    struct inode *dir;
    int rc = start_dir(dirfd, pathbuf[which], &dir);
    if (rc)
        return rc;
    return vfs_lookup_parent(dir, pathbuf[which], parent, last, slash);
}

/* ---- open ---- */

long sys_openat(uint64_t dirfd, uint64_t upath, uint64_t flags, uint64_t mode)
{
    struct process *p = process_current();
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return -EOPNOTSUPP;
    char last[NAME_MAX + 1];
    struct inode *parent, *ino = NULL;
    bool slash;
    int rc = parent_at((long)dirfd, upath, 0, &parent, last, &slash);
    if (rc)
        return rc;
    int lookup = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    if (last[0] == '\0') {
        ino = parent; /* "/" */
    } else {
        rc = vfs_lookup(parent, last, lookup | (slash ? LOOKUP_DIRECTORY : 0), &ino);
        if (rc == -ENOENT && (flags & O_CREAT)) {
            if (slash)
                return -EISDIR;
            /* A dangling symlink in the last place is not followed to create its target. */
            if (vfs_child(parent, last))
                return -ENOENT;
            rc = vfs_mknod(parent, last, S_IFREG | ((uint32_t)mode & 07777 & ~p->umask), &ino);
            if (rc)
                return rc;
        } else if (rc) {
            return rc;
        } else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
            return -EEXIST;
        }
    }
    if (S_ISLNK(ino->mode) && !(flags & O_PATH))
        return -ELOOP; /* O_NOFOLLOW on a symlink */
    if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
        return -ENOTDIR;
    if (S_ISDIR(ino->mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)) &&
        !(flags & O_PATH))
        return -EISDIR;
    struct file *f;
    if (flags & O_PATH) {
        static const struct file_ops path_ops = {0};
        f = file_new(&path_ops, NULL, O_PATH);
        if (!f)
            return -ENOMEM;
        f->inode = ino;
        vfs_inode_get(ino);
    } else {
        if ((flags & O_TRUNC) && S_ISREG(ino->mode) && (flags & O_ACCMODE) != O_RDONLY &&
            !ino->gen && (rc = ramfs_truncate(ino, 0)))
            return rc;
        f = vfs_open(ino, (int)flags, &rc);
        if (!f)
            return rc;
    }
    int fd = fd_install(f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

long sys_open(uint64_t path, uint64_t flags, uint64_t mode)
{
    return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_getcwd(uint64_t buf, uint64_t size)
{
    char *tmp = pathbuf[1];
    long n = vfs_path_of(process_current()->cwd, tmp, PATH_MAX);
    if (n < 0)
        return n;
    if ((uint64_t)n + 1 > size)
        return -ERANGE;
    if (copy_to_user(buf, tmp, n + 1))
        return -EFAULT;
    return n + 1;
}

static long set_cwd(struct inode *ino)
{
    if (!S_ISDIR(ino->mode))
        return -ENOTDIR;
    struct process *p = process_current();
    vfs_inode_get(ino);
    vfs_inode_put(p->cwd);
    p->cwd = ino;
    return 0;
}

long sys_chdir(uint64_t path)
{
    struct inode *ino;
    int rc = resolve_at(AT_FDCWD, path, 0, LOOKUP_FOLLOW, &ino);
    return rc ? rc : set_cwd(ino);
}

long sys_fchdir(uint64_t fd)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    return f->inode ? set_cwd(f->inode) : -ENOTDIR;
}

long sys_mkdirat(uint64_t dirfd, uint64_t path, uint64_t mode)
{
    char last[NAME_MAX + 1];
    struct inode *parent;
    bool slash;
    int rc = parent_at((long)dirfd, path, 0, &parent, last, &slash);
    if (rc)
        return rc;
    if (!last[0] || !strcmp(last, ".") || !strcmp(last, ".."))
        return -EEXIST;
    return vfs_mknod(parent, last, S_IFDIR | ((uint32_t)mode & 07777 & ~process_current()->umask),
                     NULL);
}

long sys_mkdir(uint64_t path, uint64_t mode)
{
    return sys_mkdirat(AT_FDCWD, path, mode);
}

long sys_unlinkat(uint64_t dirfd, uint64_t path, uint64_t flags)
{
    if (flags & ~(uint64_t)AT_REMOVEDIR)
        return -EINVAL;
    char last[NAME_MAX + 1];
    struct inode *parent;
    bool slash;
    int rc = parent_at((long)dirfd, path, 0, &parent, last, &slash);
    if (rc)
        return rc;
    bool rmdir = flags & AT_REMOVEDIR;
    if (!last[0])
        return rmdir ? -EBUSY : -EISDIR;
    if (!rmdir && !strcmp(last, "."))
        return -EISDIR;
    if (!rmdir && slash) {
        struct inode *ino = vfs_child(parent, last);
        if (ino && !S_ISDIR(ino->mode))
            return -ENOTDIR;
    }
    return vfs_unlink(parent, last, rmdir);
}

long sys_unlink(uint64_t path)
{
    return sys_unlinkat(AT_FDCWD, path, 0);
}

long sys_rmdir(uint64_t path)
{
    return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

#define RENAME_NOREPLACE 1

long sys_renameat2(uint64_t odirfd, uint64_t opath, uint64_t ndirfd, uint64_t npath, uint64_t flags)
{
    if (flags & ~(uint64_t)RENAME_NOREPLACE)
        return -EINVAL;
    char olast[NAME_MAX + 1], nlast[NAME_MAX + 1];
    struct inode *odir, *ndir;
    bool os, ns;
    int rc = parent_at((long)odirfd, opath, 0, &odir, olast, &os);
    if (rc)
        return rc;
    rc = parent_at((long)ndirfd, npath, 1, &ndir, nlast, &ns);
    if (rc)
        return rc;
    if ((flags & RENAME_NOREPLACE) && vfs_child(ndir, nlast))
        return -EEXIST;
    return vfs_rename(odir, olast, ndir, nlast);
}

long sys_renameat(uint64_t odirfd, uint64_t opath, uint64_t ndirfd, uint64_t npath)
{
    return sys_renameat2(odirfd, opath, ndirfd, npath, 0);
}

long sys_rename(uint64_t opath, uint64_t npath)
{
    return sys_renameat2(AT_FDCWD, opath, AT_FDCWD, npath, 0);
}

long sys_linkat(uint64_t odirfd, uint64_t opath, uint64_t ndirfd, uint64_t npath, uint64_t flags)
{
    if (flags & ~(uint64_t)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct inode *src;
    int rc = resolve_at((long)odirfd, opath, (int)flags,
                        (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0, &src);
    if (rc)
        return rc;
    if (S_ISDIR(src->mode))
        return -EPERM;
    char last[NAME_MAX + 1];
    struct inode *ndir;
    bool slash;
    rc = parent_at((long)ndirfd, npath, 1, &ndir, last, &slash);
    if (rc)
        return rc;
    if (!last[0] || slash)
        return -EEXIST;
    rc = vfs_link(ndir, last, src);
    if (!rc)
        src->ctime = vfs_now();
    return rc;
}

long sys_link(uint64_t opath, uint64_t npath)
{
    return sys_linkat(AT_FDCWD, opath, AT_FDCWD, npath, 0);
}

long sys_symlinkat(uint64_t target, uint64_t dirfd, uint64_t path)
{
    char last[NAME_MAX + 1];
    struct inode *parent;
    bool slash;
    long n = get_path(target, 1);
    if (n < 0)
        return n;
    /* pathbuf[1] holds the target; the link's own path goes through pathbuf[0]. */
    int rc = parent_at((long)dirfd, path, 0, &parent, last, &slash);
    if (rc)
        return rc;
    if (!last[0] || slash)
        return -EEXIST;
    return vfs_symlink(parent, last, pathbuf[1]);
}

long sys_symlink(uint64_t target, uint64_t path)
{
    return sys_symlinkat(target, AT_FDCWD, path);
}

long sys_readlinkat(uint64_t dirfd, uint64_t path, uint64_t buf, uint64_t size)
{
    if ((int64_t)size <= 0)
        return -EINVAL;
    struct inode *ino;
    int rc = resolve_at((long)dirfd, path, AT_EMPTY_PATH, 0, &ino);
    if (rc)
        return rc;
    if (!S_ISLNK(ino->mode))
        return -EINVAL;
    const char *t = vfs_readlink(ino);
    size_t n = MIN(strlen(t), size);
    if (copy_to_user(buf, t, n))
        return -EFAULT;
    return n;
}

long sys_readlink(uint64_t path, uint64_t buf, uint64_t size)
{
    return sys_readlinkat(AT_FDCWD, path, buf, size);
}

long sys_faccessat2(uint64_t dirfd, uint64_t path, uint64_t mode, uint64_t flags)
{
    if (mode & ~7ull)
        return -EINVAL;
    if (flags & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct inode *ino;
    int rc = resolve_at((long)dirfd, path, (int)flags,
                        (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &ino);
    if (rc)
        return rc;
    /* Root may read and write anything; executing needs an x bit (or a directory). */
    if ((mode & X_OK) && !S_ISDIR(ino->mode) && !(ino->mode & 0111))
        return -EACCES;
    return 0;
}

long sys_faccessat(uint64_t dirfd, uint64_t path, uint64_t mode)
{
    return sys_faccessat2(dirfd, path, mode, 0);
}

long sys_access(uint64_t path, uint64_t mode)
{
    return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

long sys_umask(uint64_t mask)
{
    struct process *p = process_current();
    uint32_t old = p->umask;
    p->umask = mask & 0777;
    return old;
}

long sys_fchmodat(uint64_t dirfd, uint64_t path, uint64_t mode)
{
    struct inode *ino;
    int rc = resolve_at((long)dirfd, path, 0, LOOKUP_FOLLOW, &ino);
    if (rc)
        return rc;
    ino->mode = (ino->mode & S_IFMT) | (mode & 07777);
    ino->ctime = vfs_now();
    return 0;
}

long sys_chmod(uint64_t path, uint64_t mode)
{
    return sys_fchmodat(AT_FDCWD, path, mode);
}

long sys_fchmod(uint64_t fd, uint64_t mode)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (!f->inode)
        return 0;
    f->inode->mode = (f->inode->mode & S_IFMT) | (mode & 07777);
    return 0;
}

static long set_owner(struct inode *ino, uint64_t uid, uint64_t gid)
{
    if ((uint32_t)uid != 0xffffffff)
        ino->uid = uid;
    if ((uint32_t)gid != 0xffffffff)
        ino->gid = gid;
    ino->ctime = vfs_now();
    return 0;
}

long sys_fchownat(uint64_t dirfd, uint64_t path, uint64_t uid, uint64_t gid, uint64_t flags)
{
    struct inode *ino;
    int rc = resolve_at((long)dirfd, path, (int)flags,
                        (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &ino);
    return rc ? rc : set_owner(ino, uid, gid);
}

long sys_chown(uint64_t path, uint64_t uid, uint64_t gid)
{
    return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(uint64_t path, uint64_t uid, uint64_t gid)
{
    return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(uint64_t fd, uint64_t uid, uint64_t gid)
{
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    return f->inode ? set_owner(f->inode, uid, gid) : 0;
}

long sys_truncate(uint64_t path, uint64_t len)
{
    struct inode *ino;
    int rc = resolve_at(AT_FDCWD, path, 0, LOOKUP_FOLLOW, &ino);
    if (rc)
        return rc;
    if (S_ISDIR(ino->mode))
        return -EISDIR;
    if (!S_ISREG(ino->mode) || ino->gen)
        return -EINVAL;
    if ((int64_t)len < 0)
        return -EINVAL;
    return ramfs_truncate(ino, len);
}

#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)

long sys_utimensat(uint64_t dirfd, uint64_t path, uint64_t times, uint64_t flags)
{
    struct inode *ino;
    int rc;
    if (!path) {
        struct file *f = fd_get((int)dirfd);
        if (!f)
            return -EBADF;
        if (!f->inode)
            return 0;
        ino = f->inode;
    } else {
        rc = resolve_at((long)dirfd, path, (int)flags,
                        (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &ino);
        if (rc)
            return rc;
    }
    struct kts now = vfs_now(), t[2] = {now, now};
    if (times) {
        int64_t u[4];
        if (copy_from_user(u, times, sizeof(u)))
            return -EFAULT;
        for (int i = 0; i < 2; i++) {
            if (u[2 * i + 1] == UTIME_OMIT)
                t[i] = i ? ino->mtime : ino->atime;
            else if (u[2 * i + 1] != UTIME_NOW)
                t[i] = (struct kts){u[2 * i], u[2 * i + 1]};
        }
    }
    ino->atime = t[0];
    ino->mtime = t[1];
    ino->ctime = now;
    return 0;
}
