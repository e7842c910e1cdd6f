/* Extent trees (ext4 docs §"Extent Tree"): lookup, insertion with node splits and root growth,
 * truncation, and the extent block checksum (a tail after eh_max entries, crc32c seeded with the
 * inode's seed). Every node read is checked: magic, counts, depth, and block ranges. */
#include "fs/ext4/priv.h"

#define EXT_ROOT_MAX 4

struct path_level {
    struct ext4_buf *buf; /* NULL: the root in the inode */
    struct ext4_extent_header *hdr;
    int pos;              /* chosen entry; in a leaf -1 when lblk precedes every extent */
};
struct ext_path {
    int depth;
    struct path_level lv[EXT4_EXT_MAX_DEPTH + 1];
};

static struct ext4_extent_header *root_hdr(struct ext4_inode *raw)
{
    return (struct ext4_extent_header *)raw->i_block;
}
static struct ext4_extent *exts(struct ext4_extent_header *h)
{
    return (struct ext4_extent *)(h + 1);
}
static struct ext4_extent_idx *idxs(struct ext4_extent_header *h)
{
    return (struct ext4_extent_idx *)(h + 1);
}
static uint64_t ext_start(const struct ext4_extent *e)
{
    return e->ee_start_lo | (uint64_t)e->ee_start_hi << 32;
}
static void ext_set_start(struct ext4_extent *e, uint64_t b)
{
    e->ee_start_lo = (uint32_t)b;
    e->ee_start_hi = (uint16_t)(b >> 32);
}
static uint32_t ext_len(const struct ext4_extent *e)
{
    return e->ee_len > EXT4_EXT_INIT_MAX_LEN ? e->ee_len - EXT4_EXT_INIT_MAX_LEN : e->ee_len;
}
static bool ext_unwritten(const struct ext4_extent *e)
{
    return e->ee_len > EXT4_EXT_INIT_MAX_LEN;
}
static void ext_set_len(struct ext4_extent *e, uint32_t len, bool unwritten)
{
    e->ee_len = (uint16_t)(unwritten ? len + EXT4_EXT_INIT_MAX_LEN : len);
}
static uint64_t idx_leaf(const struct ext4_extent_idx *i)
{
    return i->ei_leaf_lo | (uint64_t)i->ei_leaf_hi << 32;
}
static uint32_t node_max(struct ext4_fs *fs)
{
    return (fs->bs - sizeof(struct ext4_extent_header) - 4) / sizeof(struct ext4_extent);
}

void ext4_ext_init_root(struct ext4_inode *raw)
{
    struct ext4_extent_header *h = root_hdr(raw);
    memset(raw->i_block, 0, sizeof(raw->i_block));
    h->eh_magic = EXT4_EXT_MAGIC;
    h->eh_max = EXT_ROOT_MAX;
}

static uint32_t *node_tail(struct ext4_extent_header *h)
{
    return (uint32_t *)((uint8_t *)h + sizeof(*h) + h->eh_max * sizeof(struct ext4_extent));
}

static uint32_t node_csum(struct ext4_fs *fs, struct ext4_iref *ir, struct ext4_extent_header *h)
{
    return ext4_crc32c(ext4_inode_csum_seed(fs, ir), h, (uint8_t *)node_tail(h) - (uint8_t *)h);
}

static bool check_hdr(struct ext4_fs *fs, struct ext4_extent_header *h, bool root, int depth)
{
    uint32_t max = root ? EXT_ROOT_MAX : node_max(fs);
    return h->eh_magic == EXT4_EXT_MAGIC && h->eh_max && h->eh_max <= max &&
           h->eh_entries <= h->eh_max && h->eh_depth <= EXT4_EXT_MAX_DEPTH &&
           (depth < 0 || h->eh_depth == depth);
}

/* Marks a changed node for write-back (checksum first). */
static void node_dirty(struct ext4_fs *fs, struct ext4_iref *ir, struct path_level *lv)
{
    if (!lv->buf) {
        ir->dirty = true;
        return;
    }
    if (fs->csum)
        *node_tail(lv->hdr) = node_csum(fs, ir, lv->hdr);
    ext4_bdirty(fs, lv->buf);
}

static int read_node(struct ext4_fs *fs, struct ext4_iref *ir, uint64_t blk, int depth,
                     struct ext4_buf **out)
{
    if (!ext4_valid_block(fs, blk, 1))
        return -EUCLEAN;
    int err = ext4_bget(fs, blk, false, out);
    if (err)
        return err;
    struct ext4_extent_header *h = (struct ext4_extent_header *)(*out)->data;
    if (!check_hdr(fs, h, false, depth) ||
        (fs->csum && *node_tail(h) != node_csum(fs, ir, h))) {
        ext4_bput(fs, *out);
        return -EUCLEAN;
    }
    return 0;
}

static void put_path(struct ext4_fs *fs, struct ext_path *p)
{
    for (int i = 0; i <= p->depth; i++)
        if (p->lv[i].buf) {
            ext4_bput(fs, p->lv[i].buf);
            p->lv[i].buf = NULL;
        }
}

/* Walks from the root to the leaf that covers lblk. */
static int find_path(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, struct ext_path *p)
{
    struct ext4_extent_header *h = root_hdr(ir->raw);
    if (!check_hdr(fs, h, true, -1))
        return -EUCLEAN;
    p->depth = h->eh_depth;
    for (int i = 0; i <= p->depth; i++)
        p->lv[i].buf = NULL;
    p->lv[0].hdr = h;
    for (int level = 0;; level++) {
        h = p->lv[level].hdr;
        int pos = -1;
        if (level < p->depth) {
            struct ext4_extent_idx *ix = idxs(h);
            if (!h->eh_entries)
                goto bad;
            for (pos = 0; pos + 1 < h->eh_entries && ix[pos + 1].ei_block <= lblk; pos++)
                ;
            p->lv[level].pos = pos;
            struct ext4_buf *b;
            int err = read_node(fs, ir, idx_leaf(&ix[pos]), p->depth - level - 1, &b);
            if (err) {
                p->depth = level;
                put_path(fs, p);
                return err;
            }
            p->lv[level + 1].buf = b;
            p->lv[level + 1].hdr = (struct ext4_extent_header *)b->data;
            continue;
        }
        struct ext4_extent *ex = exts(h);
        int lo = 0, hi = h->eh_entries - 1;
        while (lo <= hi) { /* last extent with ee_block <= lblk */
            int mid = (lo + hi) / 2;
            if (ex[mid].ee_block <= lblk) {
                pos = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        p->lv[level].pos = pos;
        return 0;
    }
bad:
    put_path(fs, p);
    return -EUCLEAN;
}

int ext4_ext_map(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, struct ext4_map *m)
{
    struct ext_path p;
    int err = find_path(fs, ir, lblk, &p);
    if (err)
        return err;
    struct path_level *leaf = &p.lv[p.depth];
    struct ext4_extent *ex = exts(leaf->hdr);
    m->flags = 0;
    if (leaf->pos >= 0) {
        struct ext4_extent *e = &ex[leaf->pos];
        uint32_t len = ext_len(e);
        if (lblk - e->ee_block < len) {
            if (!ext4_valid_block(fs, ext_start(e), len) || len == 0) {
                put_path(fs, &p);
                return -EUCLEAN;
            }
            m->pblk = ext_start(e) + (lblk - e->ee_block);
            m->len = len - (lblk - e->ee_block);
            m->flags = ext_unwritten(e) ? EXT4_MAP_UNWRITTEN : 0;
            put_path(fs, &p);
            return 0;
        }
    }
    /* a hole up to the next key at any level */
    uint64_t next = 0x100000000ull;
    for (int i = 0; i <= p.depth; i++) {
        struct ext4_extent_header *h = p.lv[i].hdr;
        int pos = p.lv[i].pos + 1;
        if (pos < h->eh_entries) {
            uint32_t key = i < p.depth ? idxs(h)[pos].ei_block : ex[pos].ee_block;
            if (key > lblk && key < next)
                next = key;
        }
    }
    m->pblk = 0;
    m->len = (uint32_t)MIN(next - lblk, 0xffffffffull);
    put_path(fs, &p);
    return 0;
}

/* Lowers the keys on the path after entry 0 of a node got a smaller first key. */
static void fix_keys(struct ext4_fs *fs, struct ext4_iref *ir, struct ext_path *p, int level,
                     uint32_t key)
{
    while (level > 0 && p->lv[level].pos <= 0) {
        level--;
        struct ext4_extent_idx *ix = &idxs(p->lv[level].hdr)[p->lv[level].pos];
        if (ix->ei_block <= key)
            return;
        ix->ei_block = key;
        node_dirty(fs, ir, &p->lv[level]);
    }
}

static uint64_t alloc_goal(struct ext4_fs *fs, struct ext4_iref *ir)
{
    return ext4_group_first_block(fs, (ir->ino - 1) / fs->ipg);
}

static int new_node(struct ext4_fs *fs, struct ext4_iref *ir, uint64_t goal, struct ext4_buf **b)
{
    uint64_t blk;
    uint32_t got;
    int err = ext4_balloc(fs, goal, 1, &blk, &got);
    if (err)
        return err;
    if ((err = ext4_bget(fs, blk, true, b))) {
        ext4_bfree(fs, blk, 1);
        return err;
    }
    ext4_iblocks_add(fs, ir, 1);
    return 0;
}

/* The root is full: its entries move into a new block, the root indexes that block. */
static int grow_root(struct ext4_fs *fs, struct ext4_iref *ir)
{
    struct ext4_extent_header *root = root_hdr(ir->raw);
    if (root->eh_depth >= EXT4_EXT_MAX_DEPTH)
        return -EFBIG;
    struct ext4_buf *b;
    int err = new_node(fs, ir, alloc_goal(fs, ir), &b);
    if (err)
        return err;
    struct ext4_extent_header *h = (struct ext4_extent_header *)b->data;
    memcpy(h, root, sizeof(*h) + root->eh_entries * sizeof(struct ext4_extent));
    h->eh_max = (uint16_t)node_max(fs);
    struct path_level lv = { b, h, 0 };
    node_dirty(fs, ir, &lv);
    uint32_t key = h->eh_entries ? exts(h)[0].ee_block : 0; /* same offset in an index */
    uint64_t blk = b->blk;
    ext4_bput(fs, b);
    root->eh_depth++;
    root->eh_entries = 1;
    struct ext4_extent_idx *ix = idxs(root);
    ix->ei_block = key;
    ix->ei_leaf_lo = (uint32_t)blk;
    ix->ei_leaf_hi = (uint16_t)(blk >> 32);
    ix->ei_unused = 0;
    ir->dirty = true;
    return 0;
}

/* Splits the block node at level s in two; its parent has room. */
static int split_node(struct ext4_fs *fs, struct ext4_iref *ir, struct ext_path *p, int s)
{
    struct path_level *lv = &p->lv[s], *up = &p->lv[s - 1];
    struct ext4_buf *b;
    int err = new_node(fs, ir, lv->buf->blk + 1, &b);
    if (err)
        return err;
    struct ext4_extent_header *h = (struct ext4_extent_header *)b->data;
    uint16_t n = lv->hdr->eh_entries, m = n / 2;
    *h = *lv->hdr;
    h->eh_entries = (uint16_t)(n - m);
    memcpy(exts(h), exts(lv->hdr) + m, (n - m) * sizeof(struct ext4_extent));
    lv->hdr->eh_entries = m;
    struct path_level nl = { b, h, 0 };
    node_dirty(fs, ir, &nl);
    node_dirty(fs, ir, lv);
    struct ext4_extent_idx *ix = idxs(up->hdr);
    int at = up->pos + 1;
    memmove(&ix[at + 1], &ix[at], (up->hdr->eh_entries - at) * sizeof(*ix));
    ix[at].ei_block = exts(h)[0].ee_block;
    ix[at].ei_leaf_lo = (uint32_t)b->blk;
    ix[at].ei_leaf_hi = (uint16_t)(b->blk >> 32);
    ix[at].ei_unused = 0;
    up->hdr->eh_entries++;
    node_dirty(fs, ir, up);
    ext4_bput(fs, b);
    return 0;
}

static bool mergeable(const struct ext4_extent *e, uint32_t add, bool unwritten)
{
    uint32_t limit = unwritten ? EXT4_EXT_INIT_MAX_LEN - 1 : EXT4_EXT_INIT_MAX_LEN;
    return ext_unwritten(e) == unwritten && ext_len(e) + add <= limit;
}

int ext4_ext_insert(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, uint64_t pblk,
                    uint32_t len, bool unwritten)
{
    for (int tries = 0; tries < 4 * (EXT4_EXT_MAX_DEPTH + 2); tries++) {
        struct ext_path p;
        int err = find_path(fs, ir, lblk, &p);
        if (err)
            return err;
        struct path_level *leaf = &p.lv[p.depth];
        struct ext4_extent_header *h = leaf->hdr;
        struct ext4_extent *ex = exts(h);
        int pos = leaf->pos;
        if (pos >= 0 && ex[pos].ee_block + ext_len(&ex[pos]) == lblk &&
            ext_start(&ex[pos]) + ext_len(&ex[pos]) == pblk && mergeable(&ex[pos], len, unwritten)) {
            ext_set_len(&ex[pos], ext_len(&ex[pos]) + len, unwritten);
            node_dirty(fs, ir, leaf);
            put_path(fs, &p);
            return 0;
        }
        if (pos + 1 < h->eh_entries && ex[pos + 1].ee_block == lblk + len &&
            ext_start(&ex[pos + 1]) == pblk + len && mergeable(&ex[pos + 1], len, unwritten)) {
            struct ext4_extent *e = &ex[pos + 1];
            e->ee_block = lblk;
            ext_set_start(e, pblk);
            ext_set_len(e, ext_len(e) + len, unwritten);
            node_dirty(fs, ir, leaf);
            if (pos + 1 == 0)
                fix_keys(fs, ir, &p, p.depth, lblk);
            put_path(fs, &p);
            return 0;
        }
        if (h->eh_entries < h->eh_max) {
            int at = pos + 1;
            memmove(&ex[at + 1], &ex[at], (h->eh_entries - at) * sizeof(*ex));
            ex[at].ee_block = lblk;
            ext_set_start(&ex[at], pblk);
            ext_set_len(&ex[at], len, unwritten);
            h->eh_entries++;
            node_dirty(fs, ir, leaf);
            leaf->pos = at;
            if (at == 0)
                fix_keys(fs, ir, &p, p.depth, lblk);
            put_path(fs, &p);
            return 0;
        }
        int k = p.depth;
        while (k >= 0 && p.lv[k].hdr->eh_entries >= p.lv[k].hdr->eh_max)
            k--;
        err = k < 0 ? grow_root(fs, ir) : split_node(fs, ir, &p, k + 1);
        put_path(fs, &p);
        if (err)
            return err;
    }
    return -EUCLEAN;
}

/* Truncation: every extent from lblk on is freed (a straddling one shortened); the tree is then
 * rebuilt from the extents kept, which frees every node block. */
struct keep {
    struct ext4_extent *v;
    size_t n, cap;
};

static int keep_push(struct keep *k, const struct ext4_extent *e)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        struct ext4_extent *v = ext4_malloc(cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        if (k->n)
            memcpy(v, k->v, k->n * sizeof(*v));
        ext4_mfree(k->v);
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = *e;
    return 0;
}

static int trunc_node(struct ext4_fs *fs, struct ext4_iref *ir, struct ext4_extent_header *h,
                      uint32_t from, struct keep *k)
{
    int err = 0;
    if (h->eh_depth) {
        for (int i = 0; i < h->eh_entries && !err; i++) {
            struct ext4_buf *b;
            uint64_t blk = idx_leaf(&idxs(h)[i]);
            if ((err = read_node(fs, ir, blk, h->eh_depth - 1, &b)))
                break;
            err = trunc_node(fs, ir, (struct ext4_extent_header *)b->data, from, k);
            ext4_bput(fs, b);
            if (!err)
                err = ext4_bfree(fs, blk, 1);
            ext4_iblocks_add(fs, ir, -1);
        }
        return err;
    }
    for (int i = 0; i < h->eh_entries && !err; i++) {
        struct ext4_extent e = exts(h)[i];
        uint32_t len = ext_len(&e);
        if (!ext4_valid_block(fs, ext_start(&e), len))
            return -EUCLEAN;
        if (e.ee_block >= from) {
            err = ext4_bfree(fs, ext_start(&e), len);
            ext4_iblocks_add(fs, ir, -(int64_t)len);
            continue;
        }
        if ((uint64_t)e.ee_block + len > from) {
            uint32_t keep = from - e.ee_block;
            err = ext4_bfree(fs, ext_start(&e) + keep, len - keep);
            ext4_iblocks_add(fs, ir, -(int64_t)(len - keep));
            ext_set_len(&e, keep, ext_unwritten(&e));
        }
        if (!err && k)
            err = keep_push(k, &e);
    }
    return err;
}

int ext4_ext_truncate(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk)
{
    struct ext4_map m;
    int err = ext4_ext_map(fs, ir, lblk, &m);
    if (err)
        return err;
    if (!m.pblk && (uint64_t)lblk + m.len >= 0xffffffffull)
        return 0; /* nothing at or after lblk */
    struct ext4_extent_header *root = root_hdr(ir->raw);
    struct keep k = { 0 };
    if (root->eh_depth == 0) {
        err = trunc_node(fs, ir, root, lblk, &k);
    } else {
        err = trunc_node(fs, ir, root, lblk, &k);
        if (!err) {
            uint32_t gen = root->eh_generation;
            ext4_ext_init_root(ir->raw);
            root->eh_generation = gen;
            for (size_t i = 0; i < k.n && !err; i++)
                err = ext4_ext_insert(fs, ir, k.v[i].ee_block, ext_start(&k.v[i]),
                                      ext_len(&k.v[i]), ext_unwritten(&k.v[i]));
        }
        ext4_mfree(k.v);
        ir->dirty = true;
        return err;
    }
    /* depth 0: rewrite the root's entries in place */
    if (!err) {
        root->eh_entries = (uint16_t)k.n;
        if (k.n)
            memcpy(exts(root), k.v, k.n * sizeof(struct ext4_extent));
    }
    ext4_mfree(k.v);
    ir->dirty = true;
    return err;
}

/* A write into an unwritten extent: its blocks are zeroed and it becomes written. */
int ext4_ext_mark_written(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk)
{
    struct ext_path p;
    int err = find_path(fs, ir, lblk, &p);
    if (err)
        return err;
    struct path_level *leaf = &p.lv[p.depth];
    if (leaf->pos < 0) {
        put_path(fs, &p);
        return -EUCLEAN;
    }
    struct ext4_extent *e = &exts(leaf->hdr)[leaf->pos];
    uint32_t len = ext_len(e);
    for (uint32_t i = 0; i < len && !err; i++) {
        struct ext4_buf *b;
        if (!(err = ext4_bget(fs, ext_start(e) + i, true, &b))) {
            ext4_bdirty(fs, b);
            ext4_bput(fs, b);
        }
    }
    if (!err) {
        ext_set_len(e, len, false);
        node_dirty(fs, ir, leaf);
    }
    put_path(fs, &p);
    return err;
}
