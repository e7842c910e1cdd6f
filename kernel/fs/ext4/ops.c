/* The calls on one inode: stat, lookup, readdir, read, write, truncate, readlink, setattr. */
#include "fs/ext4/priv.h"

static void get_time(const struct ext4_inode *raw, uint32_t sec, uint32_t extra, bool has,
                     struct ext4_time *t)
{
    t->sec = (int32_t)sec;
    t->nsec = 0;
    if (has) {
        t->sec += (int64_t)(extra & 3) << 32;
        t->nsec = extra >> 2;
    }
}

int ext4_stat(struct ext4_fs *fs, ext4_ino_t ino, struct ext4_stat *st)
{
    struct ext4_iref ir;
    int err = ext4_iget(fs, ino, &ir);
    if (err)
        return err;
    const struct ext4_inode *r = ir.raw;
    bool big = fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE;
    st->ino = ino;
    st->mode = r->i_mode;
    st->nlink = r->i_links_count;
    st->uid = r->i_uid | (uint32_t)r->i_uid_high << 16;
    st->gid = r->i_gid | (uint32_t)r->i_gid_high << 16;
    st->size = ext4_isize(r);
    st->blocks = ext4_iblocks(fs, r);
    st->rdev = 0;
    uint32_t fmt = r->i_mode & EXT4_S_IFMT;
    if (fmt == 0020000 || fmt == 0060000) {
        if (r->i_block[0]) {
            st->rdev = r->i_block[0];
        } else {
            uint32_t v = r->i_block[1]; /* Linux new_encode_dev: major 12 bits, minor 20 */
            st->rdev = ((v & 0xfff00) >> 8) << 8 | (v & 0xff) | ((v >> 12) & 0xfff00);
        }
    }
    get_time(r, r->i_atime, r->i_atime_extra, big && EXT4_FITS_EXTRA(r, i_atime_extra), &st->atime);
    get_time(r, r->i_mtime, r->i_mtime_extra, big && EXT4_FITS_EXTRA(r, i_mtime_extra), &st->mtime);
    get_time(r, r->i_ctime, r->i_ctime_extra, big && EXT4_FITS_EXTRA(r, i_ctime_extra), &st->ctime);
    ext4_iput(fs, &ir);
    return 0;
}

/* An inode that must be a live directory. */
int ext4_iget_dir(struct ext4_fs *fs, ext4_ino_t ino, struct ext4_iref *ir)
{
    int err = ext4_iget(fs, ino, ir);
    if (err)
        return err;
    if (!EXT4_S_ISDIR(ir->raw->i_mode) || !ir->raw->i_links_count) {
        bool dir = EXT4_S_ISDIR(ir->raw->i_mode);
        ext4_iput(fs, ir);
        return dir ? -ENOENT : -ENOTDIR;
    }
    return 0;
}

int ext4_lookup(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len,
                ext4_ino_t *out)
{
    if (!len || len > EXT4_NAME_LEN)
        return len ? -ENAMETOOLONG : -ENOENT;
    struct ext4_iref ir;
    int err = ext4_iget_dir(fs, dir, &ir);
    if (err)
        return err;
    err = ext4_dir_find(fs, &ir, name, len, out);
    ext4_iput(fs, &ir);
    /* a directory listing itself under a name other than "." is a loop */
    if (!err && *out == dir && !(len == 1 && name[0] == '.'))
        return -EUCLEAN;
    if (!err && *out < EXT4_ROOT_INO)
        return -EUCLEAN;
    return err;
}

int ext4_readdir(struct ext4_fs *fs, ext4_ino_t dir, uint64_t *pos, struct ext4_dirent_info *ent)
{
    struct ext4_iref ir;
    int err = ext4_iget_dir(fs, dir, &ir);
    if (err)
        return err;
    err = ext4_dir_next(fs, &ir, pos, ent);
    ext4_iput(fs, &ir);
    return err;
}

static int iget_file(struct ext4_fs *fs, ext4_ino_t ino, struct ext4_iref *ir)
{
    int err = ext4_iget(fs, ino, ir);
    if (err)
        return err;
    if (EXT4_S_ISDIR(ir->raw->i_mode)) {
        ext4_iput(fs, ir);
        return -EISDIR;
    }
    if (!EXT4_S_ISREG(ir->raw->i_mode)) {
        ext4_iput(fs, ir);
        return -EINVAL;
    }
    if (!ir->raw->i_links_count) { /* deleted: its blocks are free, never write them again */
        ext4_iput(fs, ir);
        return -ENOENT;
    }
    return 0;
}

long ext4_read(struct ext4_fs *fs, ext4_ino_t ino, uint64_t off, void *buf, size_t len)
{
    struct ext4_iref ir;
    int err = iget_file(fs, ino, &ir);
    if (err)
        return err;
    long n = ext4_iread(fs, &ir, off, buf, len);
    ext4_iput(fs, &ir);
    return n;
}

long ext4_write(struct ext4_fs *fs, ext4_ino_t ino, uint64_t off, const void *buf, size_t len)
{
    if (fs->ro)
        return -EROFS;
    struct ext4_iref ir;
    int err = iget_file(fs, ino, &ir);
    if (err)
        return err;
    long n = ext4_iwrite(fs, &ir, off, buf, len);
    ext4_iput(fs, &ir);
    return n;
}

int ext4_truncate(struct ext4_fs *fs, ext4_ino_t ino, uint64_t size)
{
    if (fs->ro)
        return -EROFS;
    struct ext4_iref ir;
    int err = iget_file(fs, ino, &ir);
    if (err)
        return err;
    err = ext4_itruncate(fs, &ir, size);
    ext4_iput(fs, &ir);
    return err;
}

long ext4_readlink(struct ext4_fs *fs, ext4_ino_t ino, char *buf, size_t size)
{
    struct ext4_iref ir;
    int err = ext4_iget(fs, ino, &ir);
    if (err)
        return err;
    long n;
    uint64_t len = ext4_isize(ir.raw);
    if (!EXT4_S_ISLNK(ir.raw->i_mode)) {
        n = -EINVAL;
    } else if (len >= size) {
        n = -ERANGE;
    } else if (ext4_fast_symlink(fs, ir.raw)) {
        memcpy(buf, ir.raw->i_block, len);
        n = (long)len;
    } else if (len >= fs->bs) {
        n = -EUCLEAN;
    } else {
        n = ext4_iread(fs, &ir, 0, buf, len);
        if (n >= 0 && (uint64_t)n != len)
            n = -EUCLEAN;
    }
    if (n >= 0)
        buf[n] = '\0';
    ext4_iput(fs, &ir);
    return n;
}

int ext4_setattr(struct ext4_fs *fs, ext4_ino_t ino, const uint32_t *mode, const uint32_t *uid,
                 const uint32_t *gid, const struct ext4_time *atime,
                 const struct ext4_time *mtime)
{
    if (fs->ro)
        return -EROFS;
    struct ext4_iref ir;
    int err = ext4_iget(fs, ino, &ir);
    if (err)
        return err;
    struct ext4_inode *r = ir.raw;
    if (mode)
        r->i_mode = (uint16_t)((r->i_mode & EXT4_S_IFMT) | (*mode & 07777));
    if (uid) {
        r->i_uid = (uint16_t)*uid;
        r->i_uid_high = (uint16_t)(*uid >> 16);
    }
    if (gid) {
        r->i_gid = (uint16_t)*gid;
        r->i_gid_high = (uint16_t)(*gid >> 16);
    }
    if (atime)
        ext4_set_time(fs, &ir, 0, atime);
    if (mtime)
        ext4_set_time(fs, &ir, 1, mtime);
    ext4_itime(fs, &ir, false, false, true);
    ext4_iput(fs, &ir);
    return 0;
}
