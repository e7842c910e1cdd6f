/* File data: logical-to-physical mapping (extents or indirect blocks), reads with holes, writes
 * that allocate, truncation. Whole aligned blocks go straight between the caller's buffer and
 * the device in contiguous runs (a cached copy, if any, is used or kept in step); partial blocks
 * go through the buffer cache. */
#include "fs/ext4/priv.h"

int ext4_bmap(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, struct ext4_map *m)
{
    if (ir->raw->i_flags & EXT4_INLINE_DATA_FL)
        return -EUCLEAN;
    if (ir->raw->i_flags & EXT4_EXTENTS_FL)
        return ext4_ext_map(fs, ir, lblk, m);
    return ext4_ind_map(fs, ir, lblk, false, m);
}

int ext4_bmap_alloc(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, uint32_t want,
                    struct ext4_map *m)
{
    int err = ext4_bmap(fs, ir, lblk, m);
    if (err)
        return err;
    if (m->pblk && !(m->flags & EXT4_MAP_UNWRITTEN))
        return 0;
    if (!(ir->raw->i_flags & EXT4_EXTENTS_FL))
        return ext4_ind_map(fs, ir, lblk, true, m);
    if (m->pblk) {
        if ((err = ext4_ext_mark_written(fs, ir, lblk)))
            return err;
        return ext4_bmap(fs, ir, lblk, m);
    }
    uint32_t n = MIN(MAX(want, 1u), m->len);
    uint64_t goal = 0;
    struct ext4_map prev;
    if (lblk && !ext4_ext_map(fs, ir, lblk - 1, &prev) && prev.pblk)
        goal = prev.pblk + 1;
    else
        goal = ext4_group_first_block(fs, (ir->ino - 1) / fs->ipg);
    uint64_t pblk;
    uint32_t got;
    if ((err = ext4_balloc(fs, goal, n, &pblk, &got)))
        return err;
    if ((err = ext4_ext_insert(fs, ir, lblk, pblk, got, false))) {
        ext4_bfree(fs, pblk, got);
        return err;
    }
    ext4_iblocks_add(fs, ir, got);
    m->pblk = pblk;
    m->len = got;
    m->flags = EXT4_MAP_NEW;
    return 0;
}

int ext4_bmap_truncate(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk)
{
    if (ir->raw->i_flags & EXT4_INLINE_DATA_FL)
        return -EUCLEAN;
    if (ir->raw->i_flags & EXT4_EXTENTS_FL)
        return ext4_ext_truncate(fs, ir, lblk);
    return ext4_ind_truncate(fs, ir, lblk);
}

/* Reads whole blocks [pblk, pblk+n) into buf: cached copies from the cache, the rest in runs
 * from the device. */
static int read_run(struct ext4_fs *fs, uint64_t pblk, uint32_t n, uint8_t *buf)
{
    uint32_t start = 0;
    for (uint32_t i = 0; i <= n; i++) {
        struct ext4_buf *b = i < n ? ext4_bpeek(fs, pblk + i) : NULL;
        if (i < n && !b)
            continue;
        if (i > start) {
            int err = ext4_dev_read(fs, pblk + start, buf + ((size_t)start << fs->bs_shift), i - start);
            if (err)
                return err;
        }
        if (b)
            memcpy(buf + ((size_t)i << fs->bs_shift), b->data, fs->bs);
        start = i + 1;
    }
    return 0;
}

long ext4_iread(struct ext4_fs *fs, struct ext4_iref *ir, uint64_t off, void *buf, size_t len)
{
    uint64_t size = ext4_isize(ir->raw);
    if (off >= size)
        return 0;
    len = (size_t)MIN((uint64_t)len, size - off);
    uint8_t *out = buf;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t lblk = (uint32_t)(pos >> fs->bs_shift), boff = (uint32_t)(pos & (fs->bs - 1));
        if ((pos >> fs->bs_shift) > 0xffffffffull)
            return -EFBIG;
        struct ext4_map m;
        int err = ext4_bmap(fs, ir, lblk, &m);
        if (err)
            return err;
        uint64_t avail = ((uint64_t)m.len << fs->bs_shift) - boff;
        size_t n = (size_t)MIN(avail, (uint64_t)(len - done));
        if (!m.pblk || (m.flags & EXT4_MAP_UNWRITTEN)) {
            memset(out + done, 0, n);
        } else if (boff == 0 && n >= fs->bs) {
            n &= ~(size_t)(fs->bs - 1);
            if ((err = read_run(fs, m.pblk, (uint32_t)(n >> fs->bs_shift), out + done)))
                return err;
        } else {
            n = MIN(n, (size_t)(fs->bs - boff));
            struct ext4_buf *b;
            if ((err = ext4_bget(fs, m.pblk, false, &b)))
                return err;
            memcpy(out + done, b->data + boff, n);
            ext4_bput(fs, b);
        }
        done += n;
    }
    return (long)done;
}

/* Writes whole blocks: cached copies are updated, the run goes to the device in one write. */
static int write_run(struct ext4_fs *fs, uint64_t pblk, uint32_t n, const uint8_t *buf)
{
    for (uint32_t i = 0; i < n; i++) {
        struct ext4_buf *b = ext4_bpeek(fs, pblk + i);
        if (b)
            memcpy(b->data, buf + ((size_t)i << fs->bs_shift), fs->bs);
    }
    return ext4_dev_write(fs, pblk, buf, n);
}

long ext4_iwrite(struct ext4_fs *fs, struct ext4_iref *ir, uint64_t off, const void *buf,
                 size_t len)
{
    if (fs->ro)
        return -EROFS;
    uint64_t limit = ext4_max_lblocks(fs, ir->raw) << fs->bs_shift;
    if (off >= limit)
        return -EFBIG;
    len = (size_t)MIN((uint64_t)len, limit - off);
    const uint8_t *in = buf;
    size_t done = 0;
    uint64_t new_lo = 0, new_hi = 0; /* blocks this call allocated: [new_lo, new_hi) */
    int err = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t lblk = (uint32_t)(pos >> fs->bs_shift), boff = (uint32_t)(pos & (fs->bs - 1));
        uint64_t want = (boff + (len - done) + fs->bs - 1) >> fs->bs_shift;
        struct ext4_map m;
        if ((err = ext4_bmap_alloc(fs, ir, lblk, (uint32_t)MIN(want, 0xffffull), &m)))
            break;
        if (m.flags & EXT4_MAP_NEW) {
            new_lo = lblk;
            new_hi = (uint64_t)lblk + m.len;
        }
        uint64_t avail = ((uint64_t)m.len << fs->bs_shift) - boff;
        size_t n = (size_t)MIN(avail, (uint64_t)(len - done));
        if (boff == 0 && n >= fs->bs) {
            n &= ~(size_t)(fs->bs - 1);
            if ((err = write_run(fs, m.pblk, (uint32_t)(n >> fs->bs_shift), in + done)))
                break;
        } else {
            n = MIN(n, (size_t)(fs->bs - boff));
            bool fresh = lblk >= new_lo && lblk < new_hi;
            struct ext4_buf *b;
            if ((err = ext4_bget(fs, m.pblk, fresh, &b)))
                break;
            memcpy(b->data + boff, in + done, n);
            ext4_bdirty(fs, b);
            ext4_bput(fs, b);
        }
        done += n;
    }
    if (done) {
        if (off + done > ext4_isize(ir->raw))
            ext4_set_isize(fs, ir->raw, off + done);
        ext4_itime(fs, ir, false, true, true);
    }
    return done ? (long)done : err;
}

int ext4_itruncate(struct ext4_fs *fs, struct ext4_iref *ir, uint64_t size)
{
    if (fs->ro)
        return -EROFS;
    uint64_t old = ext4_isize(ir->raw);
    if (size > ext4_max_lblocks(fs, ir->raw) << fs->bs_shift)
        return -EFBIG;
    int err = 0;
    if (size < old || size == 0) {
        uint64_t first = (size + fs->bs - 1) >> fs->bs_shift;
        if (first <= 0xffffffffull)
            err = ext4_bmap_truncate(fs, ir, (uint32_t)first);
        uint32_t tail = (uint32_t)(size & (fs->bs - 1));
        struct ext4_map m;
        if (!err && tail && !(err = ext4_bmap(fs, ir, (uint32_t)(size >> fs->bs_shift), &m)) &&
            m.pblk && !(m.flags & EXT4_MAP_UNWRITTEN)) {
            struct ext4_buf *b;
            if (!(err = ext4_bget(fs, m.pblk, false, &b))) {
                memset(b->data + tail, 0, fs->bs - tail);
                ext4_bdirty(fs, b);
                ext4_bput(fs, b);
            }
        }
    }
    if (!err)
        ext4_set_isize(fs, ir->raw, size);
    ext4_itime(fs, ir, false, true, true);
    return err;
}
