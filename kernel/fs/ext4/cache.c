/* The buffer cache: file system blocks by number in a hash table, unreferenced buffers on an LRU
 * list, write-back of dirty buffers on eviction and on ext4_cache_sync (in block order). */
#include "fs/ext4/priv.h"

int ext4_dev_read(struct ext4_fs *fs, uint64_t blk, void *buf, uint64_t nblocks)
{
    if (blk >= fs->blocks || nblocks > fs->blocks - blk)
        return -EUCLEAN;
    return fs->dev.read(fs->dev.ctx, blk << fs->bs_shift, buf, nblocks << fs->bs_shift);
}

int ext4_dev_write(struct ext4_fs *fs, uint64_t blk, const void *buf, uint64_t nblocks)
{
    if (blk >= fs->blocks || nblocks > fs->blocks - blk)
        return -EUCLEAN;
    return fs->dev.write(fs->dev.ctx, blk << fs->bs_shift, buf, nblocks << fs->bs_shift);
}

int ext4_cache_init(struct ext4_fs *fs, unsigned limit)
{
    struct ext4_cache *c = &fs->cache;
    c->limit = limit ? limit : 256;
    c->nhash = 64;
    while (c->nhash < c->limit)
        c->nhash <<= 1;
    c->hash = ext4_malloc(c->nhash * sizeof(*c->hash));
    return c->hash ? 0 : -ENOMEM;
}

static unsigned hash_of(const struct ext4_cache *c, uint64_t blk)
{
    return (unsigned)((blk * 0x9E3779B97F4A7C15ull) >> 40) & (c->nhash - 1);
}

static void lru_unlink(struct ext4_cache *c, struct ext4_buf *b)
{
    if (b->lprev)
        b->lprev->lnext = b->lnext;
    else if (c->lru_head == b)
        c->lru_head = b->lnext;
    if (b->lnext)
        b->lnext->lprev = b->lprev;
    else if (c->lru_tail == b)
        c->lru_tail = b->lprev;
    b->lprev = b->lnext = NULL;
}

static void lru_push(struct ext4_cache *c, struct ext4_buf *b)
{
    b->lprev = NULL;
    b->lnext = c->lru_head;
    if (c->lru_head)
        c->lru_head->lprev = b;
    c->lru_head = b;
    if (!c->lru_tail)
        c->lru_tail = b;
}

static void hash_remove(struct ext4_cache *c, struct ext4_buf *b)
{
    struct ext4_buf **pp = &c->hash[hash_of(c, b->blk)];
    while (*pp && *pp != b)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = b->hnext;
}

static int writeback(struct ext4_fs *fs, struct ext4_buf *b)
{
    int err = ext4_dev_write(fs, b->blk, b->data, 1);
    if (err)
        return err;
    b->dirty = false;
    fs->cache.ndirty--;
    fs->cache.stats.writebacks++;
    return 0;
}

static void buf_free(struct ext4_cache *c, struct ext4_buf *b)
{
    ext4_mfree(b->data);
    ext4_mfree(b);
    c->count--;
}

struct ext4_buf *ext4_bpeek(struct ext4_fs *fs, uint64_t blk)
{
    struct ext4_buf *b = fs->cache.hash[hash_of(&fs->cache, blk)];
    while (b && b->blk != blk)
        b = b->hnext;
    return b;
}

/* A buffer to reuse: the least recently used unreferenced one, written back if dirty; or a new
 * one while under the limit (or when none is free). */
static int buf_obtain(struct ext4_fs *fs, struct ext4_buf **out)
{
    struct ext4_cache *c = &fs->cache;
    struct ext4_buf *b = c->lru_tail;
    if (c->count >= c->limit && b) {
        if (b->dirty) {
            int err = writeback(fs, b);
            if (err)
                return err;
        }
        lru_unlink(c, b);
        hash_remove(c, b);
        c->stats.evictions++;
        *out = b;
        return 0;
    }
    b = ext4_malloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->data = ext4_malloc(fs->bs);
    if (!b->data) {
        ext4_mfree(b);
        return -ENOMEM;
    }
    c->count++;
    *out = b;
    return 0;
}

int ext4_bget(struct ext4_fs *fs, uint64_t blk, bool zero, struct ext4_buf **out)
{
    struct ext4_cache *c = &fs->cache;
    if (blk >= fs->blocks || (blk < fs->first_data_block && blk != 0))
        return -EUCLEAN;
    struct ext4_buf *b = ext4_bpeek(fs, blk);
    if (b) {
        if (b->refs++ == 0)
            lru_unlink(c, b);
        if (zero)
            memset(b->data, 0, fs->bs);
        c->stats.hits++;
        *out = b;
        return 0;
    }
    c->stats.misses++;
    int err = buf_obtain(fs, &b);
    if (err)
        return err;
    b->blk = blk;
    b->dirty = false;
    b->refs = 1;
    b->lprev = b->lnext = NULL;
    if (zero) {
        memset(b->data, 0, fs->bs);
    } else {
        err = ext4_dev_read(fs, blk, b->data, 1);
        if (err) {
            buf_free(c, b);
            return err;
        }
    }
    unsigned h = hash_of(c, blk);
    b->hnext = c->hash[h];
    c->hash[h] = b;
    *out = b;
    return 0;
}

void ext4_bput(struct ext4_fs *fs, struct ext4_buf *b)
{
    if (--b->refs == 0)
        lru_push(&fs->cache, b);
}

void ext4_bdirty(struct ext4_fs *fs, struct ext4_buf *b)
{
    if (!b->dirty) {
        b->dirty = true;
        fs->cache.ndirty++;
    }
}

void ext4_bforget(struct ext4_fs *fs, uint64_t blk)
{
    struct ext4_buf *b = ext4_bpeek(fs, blk);
    if (!b || b->refs)
        return;
    if (b->dirty) {
        b->dirty = false;
        fs->cache.ndirty--;
    }
    lru_unlink(&fs->cache, b);
    hash_remove(&fs->cache, b);
    buf_free(&fs->cache, b);
}

static void sort_bufs(struct ext4_buf **v, unsigned n)
{
    /* shell sort by block number: no recursion, no libc */
    for (unsigned gap = n / 2; gap; gap /= 2)
        for (unsigned i = gap; i < n; i++) {
            struct ext4_buf *t = v[i];
            unsigned j = i;
            for (; j >= gap && v[j - gap]->blk > t->blk; j -= gap)
                v[j] = v[j - gap];
            v[j] = t;
        }
}

int ext4_cache_sync(struct ext4_fs *fs)
{
    struct ext4_cache *c = &fs->cache;
    if (!c->ndirty)
        return 0;
    struct ext4_buf **v = ext4_malloc(c->ndirty * sizeof(*v));
    unsigned n = 0, want = c->ndirty;
    int err = 0;
    for (unsigned h = 0; h < c->nhash; h++)
        for (struct ext4_buf *b = c->hash[h]; b; b = b->hnext)
            if (b->dirty) {
                if (v && n < want)
                    v[n++] = b;
                else if ((err = writeback(fs, b)))
                    return err;
            }
    if (!v)
        return 0;
    sort_bufs(v, n);
    for (unsigned i = 0; i < n && !err; i++)
        if (v[i]->dirty)
            err = writeback(fs, v[i]);
    ext4_mfree(v);
    return err;
}

void ext4_cache_destroy(struct ext4_fs *fs)
{
    struct ext4_cache *c = &fs->cache;
    if (!c->hash)
        return;
    for (unsigned h = 0; h < c->nhash; h++) {
        struct ext4_buf *b = c->hash[h];
        while (b) {
            struct ext4_buf *next = b->hnext;
            buf_free(c, b);
            b = next;
        }
    }
    ext4_mfree(c->hash);
    c->hash = NULL;
}

void ext4_cache_stats(const struct ext4_fs *fs, struct ext4_cache_stats *st)
{
    *st = fs->cache.stats;
}
