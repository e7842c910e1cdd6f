/* Block and inode allocation from the group bitmaps (ext4 docs §"Block and inode Bitmaps"),
 * keeping the descriptor counts, flags, bitmap checksums and the superblock totals right.
 * Uninitialised groups (uninit_bg / metadata_csum) get their bitmaps built on first use. */
#include "fs/ext4/priv.h"

static bool test_bit(const uint8_t *m, uint32_t i)
{
    return m[i / 8] & (1u << (i % 8));
}
static void put_bit(uint8_t *m, uint32_t i, bool v)
{
    if (v)
        m[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        m[i / 8] &= (uint8_t)~(1u << (i % 8));
}

static void gd_add_free_blocks(struct ext4_fs *fs, uint32_t g, int64_t delta)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    uint32_t v = (uint32_t)(ext4_gd_free_blocks(fs, g) + delta);
    d->bg_free_blocks_count_lo = (uint16_t)v;
    if (fs->desc_size >= EXT4_MIN_DESC_SIZE_64BIT)
        d->bg_free_blocks_count_hi = (uint16_t)(v >> 16);
    uint64_t sbv = ext4_sb_free_blocks(fs) + delta;
    fs->sb.s_free_blocks_count_lo = (uint32_t)sbv;
    if (fs->has_64bit)
        fs->sb.s_free_blocks_count_hi = (uint32_t)(sbv >> 32);
    fs->gd_dirty[g] = EXT4_GD_DIRTY;
    fs->sb_dirty = true;
}

static void gd_add_free_inodes(struct ext4_fs *fs, uint32_t g, int delta, int dirs)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    uint32_t v = ext4_gd_free_inodes(fs, g) + delta;
    d->bg_free_inodes_count_lo = (uint16_t)v;
    uint32_t u = (d->bg_used_dirs_count_lo |
                  (fs->desc_size >= 64 ? (uint32_t)d->bg_used_dirs_count_hi << 16 : 0)) + dirs;
    d->bg_used_dirs_count_lo = (uint16_t)u;
    if (fs->desc_size >= EXT4_MIN_DESC_SIZE_64BIT) {
        d->bg_free_inodes_count_hi = (uint16_t)(v >> 16);
        d->bg_used_dirs_count_hi = (uint16_t)(u >> 16);
    }
    fs->sb.s_free_inodes_count += delta;
    fs->gd_dirty[g] = EXT4_GD_DIRTY;
    fs->sb_dirty = true;
}

static bool uninit_allowed(struct ext4_fs *fs)
{
    return fs->csum || fs->gdt_csum;
}

/* The block bitmap of group g, built when the group is BLOCK_UNINIT, checked otherwise. */
static int load_block_bitmap(struct ext4_fs *fs, uint32_t g, struct ext4_buf **out)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    uint64_t blk = ext4_gd_block_bitmap(fs, g);
    bool uninit = uninit_allowed(fs) && (d->bg_flags & EXT4_BG_BLOCK_UNINIT);
    int err = ext4_bget(fs, blk, uninit, out);
    if (err)
        return err;
    if (uninit) {
        ext4_init_block_bitmap(fs, g, (*out)->data);
        d->bg_flags &= (uint16_t)~EXT4_BG_BLOCK_UNINIT;
        ext4_gd_set_bitmap_csum(fs, g, (*out)->data, false);
        ext4_bdirty(fs, *out);
        fs->gd_dirty[g] = EXT4_GD_DIRTY;
    } else if (ext4_gd_check_bitmap(fs, g, (*out)->data, false)) {
        ext4_bput(fs, *out);
        return -EUCLEAN;
    }
    return 0;
}

static int load_inode_bitmap(struct ext4_fs *fs, uint32_t g, struct ext4_buf **out)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    bool uninit = uninit_allowed(fs) && (d->bg_flags & EXT4_BG_INODE_UNINIT);
    int err = ext4_bget(fs, ext4_gd_inode_bitmap(fs, g), uninit, out);
    if (err)
        return err;
    if (uninit) {
        for (uint32_t i = fs->ipg; i < fs->bs * 8; i++)
            put_bit((*out)->data, i, true);
        d->bg_flags &= (uint16_t)~EXT4_BG_INODE_UNINIT;
        ext4_gd_set_bitmap_csum(fs, g, (*out)->data, true);
        ext4_bdirty(fs, *out);
        fs->gd_dirty[g] = EXT4_GD_DIRTY;
    } else if (ext4_gd_check_bitmap(fs, g, (*out)->data, true)) {
        ext4_bput(fs, *out);
        return -EUCLEAN;
    }
    return 0;
}

/* First clear bit in [from, to), or to. */
static uint32_t find_zero(const uint8_t *m, uint32_t from, uint32_t to)
{
    uint32_t i = from;
    while (i < to && (i & 7)) {
        if (!test_bit(m, i))
            return i;
        i++;
    }
    while (i + 8 <= to && m[i / 8] == 0xff)
        i += 8;
    for (; i < to; i++)
        if (!test_bit(m, i))
            return i;
    return to;
}

int ext4_balloc(struct ext4_fs *fs, uint64_t goal, uint32_t want, uint64_t *blk, uint32_t *got)
{
    if (fs->ro)
        return -EROFS;
    if (!want)
        want = 1;
    if (goal < fs->first_data_block || goal >= fs->blocks)
        goal = ext4_group_first_block(fs, fs->alloc_group);
    uint32_t g0 = (uint32_t)((goal - fs->first_data_block) / fs->bpg);
    for (uint32_t i = 0; i <= fs->ngroups; i++) {
        uint32_t g = (g0 + i) % fs->ngroups;
        if (ext4_gd_free_blocks(fs, g) == 0)
            continue;
        struct ext4_buf *b;
        int err = load_block_bitmap(fs, g, &b);
        if (err)
            return err;
        uint32_t n = ext4_group_blocks(fs, g);
        uint32_t start = i == 0 ? (uint32_t)(goal - ext4_group_first_block(fs, g)) : 0;
        uint32_t bit = find_zero(b->data, start, n);
        if (bit == n && start)
            bit = find_zero(b->data, 0, start);
        if (bit >= n) {
            ext4_bput(fs, b);
            continue; /* the count said free blocks, the bitmap says none: try elsewhere */
        }
        uint32_t run = 0;
        while (run < want && bit + run < n && !test_bit(b->data, bit + run)) {
            put_bit(b->data, bit + run, true);
            run++;
        }
        if (run > ext4_gd_free_blocks(fs, g)) {
            ext4_bput(fs, b);
            return -EUCLEAN;
        }
        ext4_gd_set_bitmap_csum(fs, g, b->data, false);
        ext4_bdirty(fs, b);
        ext4_bput(fs, b);
        gd_add_free_blocks(fs, g, -(int64_t)run);
        fs->alloc_group = g;
        *blk = ext4_group_first_block(fs, g) + bit;
        *got = run;
        return 0;
    }
    return -ENOSPC;
}

int ext4_bfree(struct ext4_fs *fs, uint64_t blk, uint64_t count)
{
    if (!ext4_valid_block(fs, blk, count))
        return -EUCLEAN;
    int bad = 0;
    while (count) {
        uint32_t g = (uint32_t)((blk - fs->first_data_block) / fs->bpg);
        uint32_t bit = (uint32_t)(blk - ext4_group_first_block(fs, g));
        uint32_t n = (uint32_t)MIN(count, (uint64_t)ext4_group_blocks(fs, g) - bit);
        struct ext4_buf *b;
        int err = load_block_bitmap(fs, g, &b);
        if (err)
            return err;
        uint32_t freed = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (!test_bit(b->data, bit + i)) {
                bad = -EUCLEAN; /* freeing a free block: keep going, report it */
                continue;
            }
            put_bit(b->data, bit + i, false);
            ext4_bforget(fs, blk + i);
            freed++;
        }
        ext4_gd_set_bitmap_csum(fs, g, b->data, false);
        ext4_bdirty(fs, b);
        ext4_bput(fs, b);
        gd_add_free_blocks(fs, g, freed);
        blk += n;
        count -= n;
    }
    return bad;
}

int ext4_ialloc(struct ext4_fs *fs, uint32_t near_group, bool dir, ext4_ino_t *ino)
{
    if (fs->ro)
        return -EROFS;
    if (!fs->sb.s_free_inodes_count)
        return -ENOSPC;
    for (uint32_t i = 0; i < fs->ngroups; i++) {
        uint32_t g = (near_group + i) % fs->ngroups;
        if (ext4_gd_free_inodes(fs, g) == 0)
            continue;
        struct ext4_buf *b;
        int err = load_inode_bitmap(fs, g, &b);
        if (err)
            return err;
        uint32_t start = g == 0 ? fs->first_ino - 1 : 0;
        uint32_t bit = find_zero(b->data, start, fs->ipg);
        if (bit >= fs->ipg) {
            ext4_bput(fs, b);
            continue;
        }
        put_bit(b->data, bit, true);
        ext4_gd_set_bitmap_csum(fs, g, b->data, true);
        ext4_bdirty(fs, b);
        ext4_bput(fs, b);
        gd_add_free_inodes(fs, g, -1, dir ? 1 : 0);
        struct ext4_group_desc *d = ext4_gd(fs, g);
        if (uninit_allowed(fs)) {
            uint32_t unused = d->bg_itable_unused_lo |
                              (fs->desc_size >= 64 ? (uint32_t)d->bg_itable_unused_hi << 16 : 0);
            if (bit + 1 > fs->ipg - unused) {
                unused = fs->ipg - (bit + 1);
                d->bg_itable_unused_lo = (uint16_t)unused;
                if (fs->desc_size >= 64)
                    d->bg_itable_unused_hi = (uint16_t)(unused >> 16);
            }
        }
        *ino = g * fs->ipg + bit + 1;
        return 0;
    }
    return -ENOSPC;
}

int ext4_ifree(struct ext4_fs *fs, ext4_ino_t ino, bool dir)
{
    uint32_t g = (ino - 1) / fs->ipg, bit = (ino - 1) % fs->ipg;
    struct ext4_buf *b;
    int err = load_inode_bitmap(fs, g, &b);
    if (err)
        return err;
    bool was = test_bit(b->data, bit);
    put_bit(b->data, bit, false);
    ext4_gd_set_bitmap_csum(fs, g, b->data, true);
    ext4_bdirty(fs, b);
    ext4_bput(fs, b);
    if (!was)
        return -EUCLEAN;
    gd_add_free_inodes(fs, g, 1, dir ? -1 : 0);
    return 0;
}
