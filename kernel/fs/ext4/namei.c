/* Changing the tree: create, mknod, mkdir, symlink, link, unlink, rmdir, rename; and path
 * resolution for the tests and tools. Link counts follow ext4 (a directory counts "." and each
 * child's ".."; dir_nlink: past 64999 a directory's count stays 1). */
#include "fs/ext4/priv.h"

#ifndef EMLINK
#define EMLINK 31
#endif
#define LINK_MAX 65000
#define SYMLOOP_MAX 40
#define RESOLVE_MAX 4096

static bool dot_or_dotdot(const char *n, size_t len)
{
    return (len == 1 && n[0] == '.') || (len == 2 && n[0] == '.' && n[1] == '.');
}

static int check_name(const char *n, size_t len)
{
    if (!len)
        return -ENOENT;
    if (len > EXT4_NAME_LEN)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < len; i++)
        if (n[i] == '/' || n[i] == '\0')
            return -EINVAL;
    return 0;
}

static void link_inc(struct ext4_fs *fs, struct ext4_iref *dir)
{
    if (dir->raw->i_links_count == 1)
        return; /* dir_nlink overflow: stays 1 */
    if (dir->raw->i_links_count + 1 >= LINK_MAX &&
        ext4_ro_compat(fs, EXT4_RO_COMPAT_DIR_NLINK))
        dir->raw->i_links_count = 1;
    else
        dir->raw->i_links_count++;
    dir->dirty = true;
}

static void link_dec(struct ext4_iref *dir)
{
    if (dir->raw->i_links_count > 2)
        dir->raw->i_links_count--;
    dir->dirty = true;
}

static int make(struct ext4_fs *fs, ext4_ino_t dirino, const char *name, size_t len,
                uint32_t mode, uint32_t rdev, const char *target, ext4_ino_t *out)
{
    if (fs->ro)
        return -EROFS;
    int err = check_name(name, len);
    if (err)
        return err;
    struct ext4_iref dir, ir;
    if ((err = ext4_iget_dir(fs, dirino, &dir)))
        return err;
    ext4_ino_t ino;
    bool isdir = EXT4_S_ISDIR(mode);
    err = ext4_dir_find(fs, &dir, name, len, &ino);
    if (err != -ENOENT) {
        ext4_iput(fs, &dir);
        return err ? err : -EEXIST;
    }
    if (isdir && dir.raw->i_links_count >= LINK_MAX - 1 &&
        !ext4_ro_compat(fs, EXT4_RO_COMPAT_DIR_NLINK)) {
        ext4_iput(fs, &dir);
        return -EMLINK;
    }
    if ((err = ext4_ialloc(fs, (dirino - 1) / fs->ipg, isdir, &ino))) {
        ext4_iput(fs, &dir);
        return err;
    }
    if ((err = ext4_inode_init(fs, ino, mode, &ir))) {
        ext4_ifree(fs, ino, isdir);
        ext4_iput(fs, &dir);
        return err;
    }
    ir.raw->i_links_count = 1;
    if (isdir) {
        err = ext4_dir_init(fs, &ir, dirino);
    } else if (target) {
        size_t tl = strlen(target);
        if (tl < sizeof(ir.raw->i_block)) {
            memcpy(ir.raw->i_block, target, tl);
            ext4_set_isize(fs, ir.raw, tl);
        } else {
            if (fs->has_extents) {
                ir.raw->i_flags |= EXT4_EXTENTS_FL;
                ext4_ext_init_root(ir.raw);
            }
            long n = ext4_iwrite(fs, &ir, 0, target, tl);
            err = n < 0 ? (int)n : 0;
        }
    } else if (rdev) {
        uint32_t major = (rdev >> 8) & 0xfff, minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
        if (major < 256 && minor < 256)
            ir.raw->i_block[0] = major << 8 | minor;
        else
            ir.raw->i_block[1] = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
    }
    ir.dirty = true;
    ext4_iput(fs, &ir);
    if (!err)
        err = ext4_dir_add(fs, &dir, name, len, ino, mode);
    if (err) {
        ext4_iput(fs, &dir);
        ext4_drop_link(fs, ino); /* undo: frees what the inode got */
        return err;
    }
    if (isdir)
        link_inc(fs, &dir);
    ext4_iput(fs, &dir);
    if (out)
        *out = ino;
    return 0;
}

int ext4_create(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len, uint32_t mode,
                ext4_ino_t *out)
{
    return make(fs, dir, name, len, EXT4_S_IFREG | (mode & 07777), 0, NULL, out);
}

int ext4_mknod(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len, uint32_t mode,
               uint32_t rdev, ext4_ino_t *out)
{
    uint32_t fmt = mode & EXT4_S_IFMT;
    if (fmt == EXT4_S_IFDIR || fmt == EXT4_S_IFLNK)
        return -EINVAL;
    if (!fmt)
        mode |= EXT4_S_IFREG;
    return make(fs, dir, name, len, mode, rdev, NULL, out);
}

int ext4_mkdir(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len, uint32_t mode,
               ext4_ino_t *out)
{
    return make(fs, dir, name, len, EXT4_S_IFDIR | (mode & 07777), 0, NULL, out);
}

int ext4_symlink(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len,
                 const char *target, ext4_ino_t *out)
{
    size_t tl = strlen(target);
    if (!tl)
        return -ENOENT;
    if (tl >= fs->bs || tl >= RESOLVE_MAX)
        return -ENAMETOOLONG;
    return make(fs, dir, name, len, EXT4_S_IFLNK | 0777, 0, target, out);
}

int ext4_link(struct ext4_fs *fs, ext4_ino_t ino, ext4_ino_t dirino, const char *name, size_t len)
{
    if (fs->ro)
        return -EROFS;
    int err = check_name(name, len);
    if (err)
        return err;
    struct ext4_iref dir, ir;
    if ((err = ext4_iget_dir(fs, dirino, &dir)))
        return err;
    ext4_ino_t other;
    err = ext4_dir_find(fs, &dir, name, len, &other);
    if (err != -ENOENT) {
        ext4_iput(fs, &dir);
        return err ? err : -EEXIST;
    }
    if ((err = ext4_iget(fs, ino, &ir))) {
        ext4_iput(fs, &dir);
        return err;
    }
    if (EXT4_S_ISDIR(ir.raw->i_mode))
        err = -EPERM;
    else if (!ir.raw->i_links_count)
        err = -ENOENT;
    else if (ir.raw->i_links_count >= LINK_MAX)
        err = -EMLINK;
    else
        err = ext4_dir_add(fs, &dir, name, len, ino, ir.raw->i_mode);
    if (!err) {
        ir.raw->i_links_count++;
        ext4_itime(fs, &ir, false, false, true);
    }
    ext4_iput(fs, &ir);
    ext4_iput(fs, &dir);
    return err;
}

static int do_remove(struct ext4_fs *fs, ext4_ino_t dirino, const char *name, size_t len, bool rmdir)
{
    if (fs->ro)
        return -EROFS;
    int err = check_name(name, len);
    if (err)
        return err;
    if (dot_or_dotdot(name, len))
        return rmdir ? (len == 1 ? -EINVAL : -ENOTEMPTY) : -EISDIR;
    struct ext4_iref dir, ir;
    if ((err = ext4_iget_dir(fs, dirino, &dir)))
        return err;
    ext4_ino_t ino;
    if ((err = ext4_dir_find(fs, &dir, name, len, &ino)) || (err = ext4_iget(fs, ino, &ir))) {
        ext4_iput(fs, &dir);
        return err;
    }
    bool isdir = EXT4_S_ISDIR(ir.raw->i_mode);
    if (ino == dirino)
        err = -EUCLEAN;
    else if (rmdir && !isdir)
        err = -ENOTDIR;
    else if (!rmdir && isdir)
        err = -EISDIR;
    else if (isdir)
        err = ext4_dir_empty(fs, &ir);
    if (!err && isdir)
        ir.raw->i_links_count = 1; /* drop_link takes it to zero */
    ir.dirty = !err;
    ext4_iput(fs, &ir);
    if (!err)
        err = ext4_dir_remove(fs, &dir, name, len);
    if (!err && isdir)
        link_dec(&dir);
    ext4_iput(fs, &dir);
    return err ? err : ext4_drop_link(fs, ino);
}

int ext4_unlink(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len)
{
    return do_remove(fs, dir, name, len, false);
}

int ext4_rmdir(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len)
{
    return do_remove(fs, dir, name, len, true);
}

/* Whether directory anc is dir or one of its ancestors (walking ".." up to the root). */
static int is_ancestor(struct ext4_fs *fs, ext4_ino_t anc, ext4_ino_t dir)
{
    for (uint32_t steps = 0; steps < fs->sb.s_inodes_count; steps++) {
        if (dir == anc)
            return 1;
        if (dir == EXT4_ROOT_INO)
            return 0;
        ext4_ino_t up;
        struct ext4_iref ir;
        int err = ext4_iget_dir(fs, dir, &ir);
        if (err)
            return err;
        err = ext4_dir_find(fs, &ir, "..", 2, &up);
        ext4_iput(fs, &ir);
        if (err)
            return err == -ENOENT ? -EUCLEAN : err;
        if (up == dir)
            return -EUCLEAN;
        dir = up;
    }
    return -EUCLEAN;
}

static int mode_of(struct ext4_fs *fs, ext4_ino_t ino, uint32_t *mode)
{
    struct ext4_iref ir;
    int err = ext4_iget(fs, ino, &ir);
    if (err)
        return err;
    *mode = ir.raw->i_mode;
    ext4_iput(fs, &ir);
    return 0;
}

static int dir_op(struct ext4_fs *fs, ext4_ino_t dirino, int op, const char *name, size_t len,
                  ext4_ino_t ino, uint32_t mode, int links)
{
    struct ext4_iref dir;
    int err = ext4_iget_dir(fs, dirino, &dir);
    if (err)
        return err;
    if (op == 0)
        err = ext4_dir_add(fs, &dir, name, len, ino, mode);
    else if (op == 1)
        err = ext4_dir_set(fs, &dir, name, len, ino, mode);
    else if (op == 2)
        err = ext4_dir_remove(fs, &dir, name, len);
    if (!err && links > 0)
        link_inc(fs, &dir);
    if (!err && links < 0)
        link_dec(&dir);
    ext4_iput(fs, &dir);
    return err;
}

int ext4_rename(struct ext4_fs *fs, ext4_ino_t odir, const char *oname, size_t olen,
                ext4_ino_t ndir, const char *nname, size_t nlen)
{
    if (fs->ro)
        return -EROFS;
    int err = check_name(oname, olen);
    if (err || (err = check_name(nname, nlen)))
        return err;
    if (dot_or_dotdot(oname, olen) || dot_or_dotdot(nname, nlen))
        return -EINVAL;
    ext4_ino_t src, dst = 0;
    uint32_t smode, dmode = 0;
    if ((err = ext4_lookup(fs, odir, oname, olen, &src)) || (err = mode_of(fs, src, &smode)))
        return err;
    err = ext4_lookup(fs, ndir, nname, nlen, &dst);
    if (err && err != -ENOENT)
        return err;
    if (!err && dst == src)
        return 0;
    if (!err && (err = mode_of(fs, dst, &dmode)))
        return err;
    bool sdir = EXT4_S_ISDIR(smode);
    if (dst) {
        if (sdir && !EXT4_S_ISDIR(dmode))
            return -ENOTDIR;
        if (!sdir && EXT4_S_ISDIR(dmode))
            return -EISDIR;
        if (EXT4_S_ISDIR(dmode)) {
            struct ext4_iref ir;
            if ((err = ext4_iget_dir(fs, dst, &ir)))
                return err;
            err = ext4_dir_empty(fs, &ir);
            ext4_iput(fs, &ir);
            if (err)
                return err;
        }
    }
    if (sdir && odir != ndir) {
        int anc = is_ancestor(fs, src, ndir);
        if (anc)
            return anc < 0 ? anc : -EINVAL;
    }
    /* the new name first, so a failure leaves the old one in place */
    bool moving_dir = sdir && odir != ndir;
    if (dst)
        err = dir_op(fs, ndir, 1, nname, nlen, src, smode, moving_dir && !EXT4_S_ISDIR(dmode));
    else
        err = dir_op(fs, ndir, 0, nname, nlen, src, smode, moving_dir ? 1 : 0);
    if (err)
        return err;
    if ((err = dir_op(fs, odir, 2, oname, olen, 0, 0, moving_dir ? -1 : 0)))
        return err;
    if (moving_dir && (err = dir_op(fs, src, 1, "..", 2, ndir, EXT4_S_IFDIR, 0)))
        return err;
    struct ext4_iref ir;
    if (!ext4_iget(fs, src, &ir)) {
        ext4_itime(fs, &ir, false, false, true);
        ext4_iput(fs, &ir);
    }
    if (dst && EXT4_S_ISDIR(dmode)) {
        /* the replaced directory's ".." no longer counts in ndir, unless src brings one */
        if (!moving_dir && (err = dir_op(fs, ndir, 3, NULL, 0, 0, 0, -1)))
            return err;
        if ((err = ext4_iget(fs, dst, &ir)))
            return err;
        ir.raw->i_links_count = 1;
        ir.dirty = true;
        ext4_iput(fs, &ir);
    }
    return dst ? ext4_drop_link(fs, dst) : 0;
}

/* Path resolution from the root; symlinks inside the file system only. */
int ext4_resolve(struct ext4_fs *fs, const char *path, bool follow, ext4_ino_t *out)
{
    char *buf = ext4_malloc(RESOLVE_MAX), *link = ext4_malloc(RESOLVE_MAX);
    size_t plen = strlen(path);
    if (!buf || !link || plen >= RESOLVE_MAX) {
        ext4_mfree(buf);
        ext4_mfree(link);
        return buf && link ? -ENAMETOOLONG : -ENOMEM;
    }
    memcpy(buf, path, plen + 1);
    ext4_ino_t cur = EXT4_ROOT_INO, parent_of_cur = EXT4_ROOT_INO;
    int loops = 0, err = 0;
    char *p = buf;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *end = p;
        while (*end && *end != '/')
            end++;
        bool last = true;
        for (char *q = end; *q; q++)
            if (*q != '/')
                last = false;
        ext4_ino_t next;
        if ((err = ext4_lookup(fs, cur, p, (size_t)(end - p), &next)))
            break;
        uint32_t mode;
        if ((err = mode_of(fs, next, &mode)))
            break;
        if (EXT4_S_ISLNK(mode) && (!last || follow)) {
            if (++loops > SYMLOOP_MAX) {
                err = -ELOOP;
                break;
            }
            long n = ext4_readlink(fs, next, link, RESOLVE_MAX);
            if (n < 0) {
                err = (int)n;
                break;
            }
            size_t rest = strlen(end);
            if ((size_t)n + 1 + rest >= RESOLVE_MAX) {
                err = -ENAMETOOLONG;
                break;
            }
            link[n] = '/';
            memcpy(link + n + 1, end, rest + 1);
            memcpy(buf, link, (size_t)n + 1 + rest + 1);
            p = buf;
            if (*p == '/')
                cur = EXT4_ROOT_INO;
            continue;
        }
        parent_of_cur = cur;
        cur = next;
        p = end;
    }
    (void)parent_of_cur;
    ext4_mfree(buf);
    ext4_mfree(link);
    if (!err)
        *out = cur;
    return err;
}
