/* Inodes (ext4 docs §"Index Nodes"): located in their group's table, used in place in the
 * cached table block, checked (checksum, extra size) when read and checksummed when changed. */
#include "fs/ext4/priv.h"

uint32_t ext4_inode_csum_seed(struct ext4_fs *fs, const struct ext4_iref *ir)
{
    uint32_t ino = ir->ino, gen = ir->raw->i_generation;
    uint32_t c = ext4_crc32c(fs->csum_seed, &ino, 4);
    return ext4_crc32c(c, &gen, 4);
}

static uint32_t inode_csum(struct ext4_fs *fs, const struct ext4_iref *ir)
{
    const uint8_t *raw = (const uint8_t *)ir->raw;
    const uint16_t zero = 0;
    uint32_t c = ext4_inode_csum_seed(fs, ir);
    c = ext4_crc32c(c, raw, EXT4_INODE_CSUM_LO_OFF);
    c = ext4_crc32c(c, &zero, 2);
    c = ext4_crc32c(c, raw + EXT4_INODE_CSUM_LO_OFF + 2,
                    EXT4_GOOD_OLD_INODE_SIZE - EXT4_INODE_CSUM_LO_OFF - 2);
    if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE) {
        size_t off = EXT4_INODE_CSUM_HI_OFF;
        c = ext4_crc32c(c, raw + EXT4_GOOD_OLD_INODE_SIZE, off - EXT4_GOOD_OLD_INODE_SIZE);
        if (EXT4_FITS_EXTRA(ir->raw, i_checksum_hi)) {
            c = ext4_crc32c(c, &zero, 2);
            off += 2;
        }
        c = ext4_crc32c(c, raw + off, fs->inode_size - off);
    }
    return c;
}

static bool has_csum_hi(struct ext4_fs *fs, const struct ext4_inode *raw)
{
    return fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE && EXT4_FITS_EXTRA(raw, i_checksum_hi);
}

static int locate(struct ext4_fs *fs, ext4_ino_t ino, uint64_t *blk, uint32_t *off)
{
    if (ino < 1 || ino > fs->sb.s_inodes_count)
        return -EUCLEAN;
    uint32_t g = (ino - 1) / fs->ipg, idx = (ino - 1) % fs->ipg;
    *blk = ext4_gd_inode_table(fs, g) + idx / fs->inodes_per_block;
    *off = (idx % fs->inodes_per_block) * fs->inode_size;
    return 0;
}

static int iget_raw(struct ext4_fs *fs, ext4_ino_t ino, struct ext4_iref *ir)
{
    uint64_t blk;
    uint32_t off;
    int err = locate(fs, ino, &blk, &off);
    if (err)
        return err;
    if ((err = ext4_bget(fs, blk, false, &ir->buf)))
        return err;
    ir->ino = ino;
    ir->raw = (struct ext4_inode *)(ir->buf->data + off);
    ir->dirty = false;
    return 0;
}

int ext4_iget(struct ext4_fs *fs, ext4_ino_t ino, struct ext4_iref *ir)
{
    int err = iget_raw(fs, ino, ir);
    if (err)
        return err;
    struct ext4_inode *raw = ir->raw;
    if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE &&
        (raw->i_extra_isize > fs->inode_size - EXT4_GOOD_OLD_INODE_SIZE || (raw->i_extra_isize & 3)))
        goto bad;
    if (fs->csum && (raw->i_mode || raw->i_links_count)) {
        uint32_t want = raw->i_checksum_lo, got = inode_csum(fs, ir);
        if (has_csum_hi(fs, raw))
            want |= (uint32_t)raw->i_checksum_hi << 16;
        else
            got &= 0xffff;
        if (want != got)
            goto bad;
    }
    return 0;
bad:
    ext4_bput(fs, ir->buf);
    ir->buf = NULL;
    return -EUCLEAN;
}

void ext4_iput(struct ext4_fs *fs, struct ext4_iref *ir)
{
    if (!ir->buf)
        return;
    if (ir->dirty) {
        if (fs->csum) {
            uint32_t c = inode_csum(fs, ir);
            ir->raw->i_checksum_lo = (uint16_t)c;
            if (has_csum_hi(fs, ir->raw))
                ir->raw->i_checksum_hi = (uint16_t)(c >> 16);
        }
        ext4_bdirty(fs, ir->buf);
    }
    ext4_bput(fs, ir->buf);
    ir->buf = NULL;
}

uint64_t ext4_isize(const struct ext4_inode *raw)
{
    return raw->i_size_lo | (uint64_t)raw->i_size_high << 32;
}

void ext4_set_isize(struct ext4_fs *fs, struct ext4_inode *raw, uint64_t size)
{
    raw->i_size_lo = (uint32_t)size;
    raw->i_size_high = (uint32_t)(size >> 32);
    if (size > 0x7fffffffull && !ext4_ro_compat(fs, EXT4_RO_COMPAT_LARGE_FILE)) {
        fs->sb.s_feature_ro_compat |= EXT4_RO_COMPAT_LARGE_FILE;
        fs->sb_dirty = true;
    }
}

uint64_t ext4_iblocks(struct ext4_fs *fs, const struct ext4_inode *raw)
{
    uint64_t v = raw->i_blocks_lo;
    if (fs->huge_file) {
        v |= (uint64_t)raw->i_blocks_high << 32;
        if (raw->i_flags & EXT4_HUGE_FILE_FL)
            v <<= fs->bs_shift - 9;
    }
    return v;
}

void ext4_iblocks_add(struct ext4_fs *fs, struct ext4_iref *ir, int64_t fs_blocks)
{
    struct ext4_inode *raw = ir->raw;
    uint64_t v = raw->i_blocks_lo | (fs->huge_file ? (uint64_t)raw->i_blocks_high << 32 : 0);
    if (raw->i_flags & EXT4_HUGE_FILE_FL)
        v += fs_blocks;
    else
        v += fs_blocks * (int64_t)(fs->bs >> 9);
    raw->i_blocks_lo = (uint32_t)v;
    if (fs->huge_file)
        raw->i_blocks_high = (uint16_t)(v >> 32);
    ir->dirty = true;
}

static void stamp(struct ext4_inode *raw, uint32_t *sec, uint32_t *extra, bool has_extra,
                  const struct ext4_time *t)
{
    *sec = (uint32_t)t->sec;
    if (has_extra)
        *extra = (t->nsec << 2) | (uint32_t)(((t->sec - (int64_t)(int32_t)t->sec) >> 32) & 3);
}

void ext4_itime(struct ext4_fs *fs, struct ext4_iref *ir, bool a, bool m, bool c)
{
    struct ext4_time t;
    struct ext4_inode *raw = ir->raw;
    ext4_now(fs, &t);
    bool big = fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE;
    if (a)
        stamp(raw, &raw->i_atime, &raw->i_atime_extra, big && EXT4_FITS_EXTRA(raw, i_atime_extra), &t);
    if (m)
        stamp(raw, &raw->i_mtime, &raw->i_mtime_extra, big && EXT4_FITS_EXTRA(raw, i_mtime_extra), &t);
    if (c)
        stamp(raw, &raw->i_ctime, &raw->i_ctime_extra, big && EXT4_FITS_EXTRA(raw, i_ctime_extra), &t);
    ir->dirty = true;
}

void ext4_set_time(struct ext4_fs *fs, struct ext4_iref *ir, int which, const struct ext4_time *t)
{
    struct ext4_inode *raw = ir->raw;
    bool big = fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE;
    if (which == 0)
        stamp(raw, &raw->i_atime, &raw->i_atime_extra, big && EXT4_FITS_EXTRA(raw, i_atime_extra), t);
    else
        stamp(raw, &raw->i_mtime, &raw->i_mtime_extra, big && EXT4_FITS_EXTRA(raw, i_mtime_extra), t);
    ir->dirty = true;
}

uint64_t ext4_file_acl(const struct ext4_inode *raw)
{
    return raw->i_file_acl_lo | (uint64_t)raw->i_file_acl_high << 32;
}

bool ext4_fast_symlink(struct ext4_fs *fs, const struct ext4_inode *raw)
{
    if (!EXT4_S_ISLNK(raw->i_mode) || (raw->i_flags & EXT4_INLINE_DATA_FL))
        return false;
    uint64_t ea = ext4_file_acl(raw) ? fs->bs >> 9 : 0;
    return ext4_iblocks(fs, raw) == ea && ext4_isize(raw) < sizeof(raw->i_block);
}

int ext4_inode_init(struct ext4_fs *fs, ext4_ino_t ino, uint32_t mode, struct ext4_iref *ir)
{
    int err = iget_raw(fs, ino, ir);
    if (err)
        return err;
    struct ext4_inode *raw = ir->raw;
    memset(raw, 0, fs->inode_size);
    if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE) {
        uint32_t want = fs->sb.s_want_extra_isize ? fs->sb.s_want_extra_isize : 32;
        raw->i_extra_isize = (uint16_t)MIN(want, fs->inode_size - EXT4_GOOD_OLD_INODE_SIZE);
        raw->i_extra_isize = (uint16_t)MIN(raw->i_extra_isize, sizeof(struct ext4_inode) -
                                                                   EXT4_GOOD_OLD_INODE_SIZE);
    }
    raw->i_mode = (uint16_t)mode;
    raw->i_generation = fs->gen++;
    ext4_itime(fs, ir, true, true, true);
    if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE && EXT4_FITS_EXTRA(raw, i_crtime_extra)) {
        raw->i_crtime = raw->i_ctime;
        raw->i_crtime_extra = raw->i_ctime_extra;
    }
    bool ext = fs->has_extents && !EXT4_S_ISLNK(mode) &&
               (EXT4_S_ISREG(mode) || EXT4_S_ISDIR(mode));
    if (ext) {
        raw->i_flags |= EXT4_EXTENTS_FL;
        ext4_ext_init_root(raw);
    }
    ir->dirty = true;
    return 0;
}

/* Drops the inode's reference on its extended attribute block (freed at zero). */
static int drop_xattr_block(struct ext4_fs *fs, struct ext4_iref *ir)
{
    uint64_t blk = ext4_file_acl(ir->raw);
    if (!blk)
        return 0;
    ir->raw->i_file_acl_lo = 0;
    ir->raw->i_file_acl_high = 0;
    ext4_iblocks_add(fs, ir, -1);
    struct ext4_buf *b;
    int err = ext4_bget(fs, blk, false, &b);
    if (err)
        return err;
    struct ext4_xattr_header *h = (struct ext4_xattr_header *)b->data;
    if (h->h_magic != EXT4_XATTR_MAGIC || h->h_refcount == 0) {
        ext4_bput(fs, b);
        return -EUCLEAN;
    }
    if (--h->h_refcount == 0) {
        ext4_bput(fs, b);
        return ext4_bfree(fs, blk, 1);
    }
    if (fs->csum) {
        uint64_t le = blk;
        h->h_checksum = 0;
        uint32_t c = ext4_crc32c(fs->csum_seed, &le, 8);
        h->h_checksum = ext4_crc32c(c, b->data, fs->bs);
    }
    ext4_bdirty(fs, b);
    ext4_bput(fs, b);
    return 0;
}

int ext4_drop_link(struct ext4_fs *fs, ext4_ino_t ino)
{
    struct ext4_iref ir;
    int err = ext4_iget(fs, ino, &ir);
    if (err)
        return err;
    struct ext4_inode *raw = ir.raw;
    bool dir = EXT4_S_ISDIR(raw->i_mode);
    if (raw->i_links_count)
        raw->i_links_count--;
    if (dir && raw->i_links_count == 1)
        raw->i_links_count = 0; /* its own "." */
    ext4_itime(fs, &ir, false, false, true);
    if (raw->i_links_count) {
        ext4_iput(fs, &ir);
        return 0;
    }
    uint32_t fmt = raw->i_mode & EXT4_S_IFMT;
    if (fmt == EXT4_S_IFREG || fmt == EXT4_S_IFDIR || (fmt == EXT4_S_IFLNK && !ext4_fast_symlink(fs, raw)))
        err = ext4_itruncate(fs, &ir, 0);
    else
        ext4_set_isize(fs, raw, 0);
    int e2 = drop_xattr_block(fs, &ir);
    struct ext4_time t;
    ext4_now(fs, &t);
    raw->i_dtime = (uint32_t)t.sec;
    ir.dirty = true;
    ext4_iput(fs, &ir);
    int e3 = ext4_ifree(fs, ino, dir);
    return err ? err : e2 ? e2 : e3;
}
