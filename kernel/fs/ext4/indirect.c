/* Classic ext2/ext3 block maps (ext4 docs §"Direct/Indirect Block Addressing"): 12 direct
 * pointers, then single, double and triple indirect blocks of bs/4 pointers each. */
#include "fs/ext4/priv.h"

struct ind_path {
    int depth;          /* indirect levels: 0 (direct) to 3 */
    uint32_t off[4];    /* slot at each level, off[0] in i_block */
    uint64_t span;      /* blocks under the deepest slot's sibling range, for holes */
};

static uint32_t ptrs(struct ext4_fs *fs)
{
    return fs->bs / 4;
}

static int ind_path(struct ext4_fs *fs, uint64_t lblk, struct ind_path *p)
{
    uint64_t n = ptrs(fs);
    if (lblk < EXT4_NDIR_BLOCKS) {
        p->depth = 0;
        p->off[0] = (uint32_t)lblk;
        return 0;
    }
    lblk -= EXT4_NDIR_BLOCKS;
    uint64_t span = n;
    for (int d = 1; d <= 3; d++) {
        if (lblk < span) {
            p->depth = d;
            p->off[0] = EXT4_NDIR_BLOCKS + d - 1;
            for (int i = d; i >= 1; i--) {
                p->off[i] = (uint32_t)(lblk % n);
                lblk /= n;
            }
            return 0;
        }
        lblk -= span;
        span *= n;
    }
    return -EFBIG;
}

uint64_t ext4_max_lblocks(struct ext4_fs *fs, const struct ext4_inode *raw)
{
    if (raw->i_flags & EXT4_EXTENTS_FL)
        return 0xffffffffull;
    uint64_t n = ptrs(fs);
    return MIN(EXT4_NDIR_BLOCKS + n + n * n + n * n * n, 0xffffffffull);
}

int ext4_ind_map(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, bool alloc,
                 struct ext4_map *m)
{
    struct ind_path p;
    int err = ind_path(fs, lblk, &p);
    if (err)
        return err;
    m->flags = 0;
    uint32_t *slot = &ir->raw->i_block[p.off[0]];
    struct ext4_buf *held = NULL; /* the block that holds *slot */
    uint64_t goal = ext4_group_first_block(fs, (ir->ino - 1) / fs->ipg);
    for (int level = 0;; level++) {
        uint64_t v = *slot;
        if (v && !ext4_valid_block(fs, v, 1)) {
            err = -EUCLEAN;
            break;
        }
        if (!v) {
            if (!alloc) {
                /* a hole over the rest of the subtree this slot would hold */
                uint64_t sub = 1;
                for (int i = level + 1; i <= p.depth; i++)
                    sub *= ptrs(fs);
                uint64_t within = 0;
                for (int i = level + 1; i <= p.depth; i++)
                    within = within * ptrs(fs) + p.off[i];
                m->pblk = 0;
                m->len = (uint32_t)MIN(sub - within, 0xffffffffull);
                break;
            }
            uint32_t got;
            if ((err = ext4_balloc(fs, goal, 1, &v, &got)))
                break;
            if (level < p.depth) {
                struct ext4_buf *nb;
                if ((err = ext4_bget(fs, v, true, &nb))) {
                    ext4_bfree(fs, v, 1);
                    break;
                }
                ext4_bdirty(fs, nb);
                ext4_bput(fs, nb);
            }
            *slot = (uint32_t)v;
            if (level == p.depth)
                m->flags |= EXT4_MAP_NEW;
            ext4_iblocks_add(fs, ir, 1);
            if (held)
                ext4_bdirty(fs, held);
            else
                ir->dirty = true;
        }
        if (level == p.depth) {
            m->pblk = v;
            m->len = 1;
            /* extend over following slots of the same block that continue the run */
            uint32_t *end = held ? (uint32_t *)(held->data + fs->bs) : &ir->raw->i_block[EXT4_NDIR_BLOCKS];
            for (uint32_t *s = slot + 1; s < end && *s == v + m->len; s++)
                m->len++;
            break;
        }
        goal = v + 1;
        struct ext4_buf *b;
        if ((err = ext4_bget(fs, v, false, &b)))
            break;
        if (held)
            ext4_bput(fs, held);
        held = b;
        slot = (uint32_t *)b->data + p.off[level + 1];
    }
    if (held)
        ext4_bput(fs, held);
    return err;
}

/* Frees what slot points to if it covers blocks at or past from; base is the first logical block
 * under the slot, span how many. Returns with *slot cleared when all of it went. */
static int trunc_slot(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t *slot, int level,
                      uint64_t base, uint64_t span, uint64_t from, bool *changed)
{
    uint64_t v = *slot;
    if (!v || base + span <= from)
        return 0;
    if (!ext4_valid_block(fs, v, 1))
        return -EUCLEAN;
    int err = 0;
    if (level > 0) {
        struct ext4_buf *b;
        if ((err = ext4_bget(fs, v, false, &b)))
            return err;
        uint64_t sub = span / ptrs(fs);
        bool bchanged = false;
        uint32_t *s = (uint32_t *)b->data;
        for (uint32_t i = 0; i < ptrs(fs) && !err; i++)
            err = trunc_slot(fs, ir, &s[i], level - 1, base + i * sub, sub, from, &bchanged);
        if (bchanged)
            ext4_bdirty(fs, b);
        ext4_bput(fs, b);
        if (err || from > base)
            return err;
    }
    *slot = 0;
    *changed = true;
    ext4_iblocks_add(fs, ir, -1);
    return ext4_bfree(fs, v, 1);
}

int ext4_ind_truncate(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk)
{
    bool changed = false;
    int err = 0;
    uint32_t *ib = ir->raw->i_block;
    for (uint32_t i = 0; i < EXT4_NDIR_BLOCKS && !err; i++)
        err = trunc_slot(fs, ir, &ib[i], 0, i, 1, lblk, &changed);
    uint64_t base = EXT4_NDIR_BLOCKS, span = ptrs(fs);
    for (int d = 1; d <= 3 && !err; d++) {
        err = trunc_slot(fs, ir, &ib[EXT4_NDIR_BLOCKS + d - 1], d, base, span, lblk, &changed);
        base += span;
        span *= ptrs(fs);
    }
    ir->dirty = true;
    return err;
}
