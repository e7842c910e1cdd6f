/* `--test=virtio-blk`: writes a pattern across a whole disk (every 4 KiB block stamped with its
 * index and a seed), flushes, reads it back, checks the device ID and that a read-only disk
 * refuses writes. The host then checks the image file (tests/integration/test_virtio_qemu.py
 * computes the same pattern).
 * Test arguments: disk=vda (the disk to write), seed=N, id=STRING (expected ID of that disk),
 * ro=vdb (a disk that must be read-only), qd=N (requests in flight, default 8). */
#include <errno.h>

#include "mote/blk.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/ktest.h"

#define SUITE "virtio-blk"

#define BLOCK 4096
#define CHUNK (128 * 1024)
#define MAX_QD 16

/* Word i of block b: b, seed, then a mix of both and i. The host computes the same. */
static uint64_t pattern_word(uint64_t block, uint64_t seed, unsigned i)
{
    if (i == 0)
        return block;
    if (i == 1)
        return seed;
    return ((block << 32) | i) ^ (seed * 0x9e3779b97f4a7c15ull);
}

static void fill(uint64_t *buf, uint64_t first_byte, size_t len, uint64_t seed)
{
    for (size_t off = 0; off < len; off += 8) {
        uint64_t pos = first_byte + off;
        buf[off / 8] = pattern_word(pos / BLOCK, seed, (unsigned)(pos % BLOCK) / 8);
    }
}

/* Returns the byte offset of the first mismatch, or -1. */
static int64_t verify(const uint64_t *buf, uint64_t first_byte, size_t len, uint64_t seed)
{
    for (size_t off = 0; off < len; off += 8) {
        uint64_t pos = first_byte + off;
        if (buf[off / 8] != pattern_word(pos / BLOCK, seed, (unsigned)(pos % BLOCK) / 8))
            return (int64_t)pos;
    }
    return -1;
}

struct slot {
    struct blk_io io;
    uint64_t *buf;
    bool busy;
};

/* Runs the whole disk through qd slots of CHUNK bytes; writing fills, reading verifies. Returns
 * 0, a negative errno, or 1 with *bad set on a mismatch. */
static int sweep(struct blk_dev *d, struct slot *slots, unsigned qd, bool write, uint64_t seed,
                 int64_t *bad)
{
    uint64_t total = d->sectors * BLK_SECTOR_SIZE, next = 0, done = 0;
    int rc = 0;
    *bad = -1;
    while (done < total) {
        for (unsigned s = 0; s < qd && next < total && !rc; s++) {
            struct slot *sl = &slots[s];
            if (sl->busy)
                continue;
            size_t len = (size_t)MIN((uint64_t)CHUNK, total - next);
            sl->io = (struct blk_io){.sector = next / BLK_SECTOR_SIZE, .buf = sl->buf, .len = len};
            if (write)
                fill(sl->buf, next, len, seed);
            rc = write ? blk_write(d, &sl->io) : blk_read(d, &sl->io);
            sl->busy = rc == 0;
            next += len;
        }
        if (rc)
            return rc;
        blk_poll(d);
        for (unsigned s = 0; s < qd; s++) {
            struct slot *sl = &slots[s];
            if (!sl->busy || !sl->io.complete)
                continue;
            sl->busy = false;
            if (sl->io.status)
                return sl->io.status;
            uint64_t at = sl->io.sector * BLK_SECTOR_SIZE;
            if (!write && *bad < 0)
                *bad = verify(sl->buf, at, sl->io.len, seed);
            done += sl->io.len;
        }
        if (*bad >= 0)
            return 1;
    }
    return 0;
}

static uint64_t arg_u64(const char *key, uint64_t def)
{
    uint64_t v;
    const char *s = ktest_arg(key);
    return s && parse_u64(s, &v) == 0 ? v : def;
}

void ktest_virtio_blk(void)
{
    const char *name = ktest_arg("disk");
    struct blk_dev *d = name ? blk_find(name) : blk_get(0);
    CHECK("probe", d != NULL, "no disk %s (%u found)", name ? name : "vda", blk_count());
    if (!d)
        return;
    pr_warn("test %s: %s on %s: %lu sectors, block size %u, segments %u x %u bytes%s%s, %s\n",
            SUITE, d->name, d->transport, d->sectors, d->block_size, d->max_segments, d->max_segment,
            d->read_only ? ", read-only" : "", d->can_flush ? ", flush" : "",
            d->irq ? "interrupts" : "polled");
    uint64_t seed = arg_u64("seed", 1);
    unsigned qd = (unsigned)MIN(MAX(arg_u64("qd", 8), 1), (uint64_t)MAX_QD);
    struct slot slots[MAX_QD] = {0};
    for (unsigned s = 0; s < qd; s++) {
        paddr_t p = page_alloc_contig(CHUNK / PAGE_SIZE);
        if (!p) {
            CHECK("buffers", false, "out of memory");
            return;
        }
        slots[s].buf = phys_to_virt(p);
    }

    int64_t bad;
    int rc;
    if (!d->read_only) {
        rc = sweep(d, slots, qd, true, seed, &bad);
        CHECK("write", rc == 0, "error %d", rc);
        rc = d->can_flush ? blk_flush_sync(d) : 0;
        CHECK("flush", rc == 0, "error %d", rc);
        rc = sweep(d, slots, qd, false, seed, &bad);
        CHECK("read", rc == 0, "error %d, first mismatch at byte %ld", rc, bad);

        /* One request as large as the test's buffers allow, split by the driver. */
        size_t big = (size_t)MIN((uint64_t)CHUNK, d->sectors * BLK_SECTOR_SIZE);
        memset(slots[0].buf, 0, big);
        rc = blk_read_sync(d, 0, slots[0].buf, big);
        bad = rc ? -1 : verify(slots[0].buf, 0, big, seed);
        CHECK("large request", rc == 0 && bad < 0, "error %d, mismatch at %ld", rc,
                    bad);
    }

    char id[BLK_ID_BYTES + 1];
    rc = blk_get_id_sync(d, id);
    const char *want = ktest_arg("id");
    CHECK("get-id", rc == 0 && (!want || strcmp(id, want) == 0),
                "error %d, id \"%s\", expected \"%s\"", rc, id, want ? want : "");

    char small[8];
    struct blk_io io = {.sector = 0, .buf = small, .len = 100};
    bool bad_len = blk_read(d, &io) == -EINVAL;
    io = (struct blk_io){.sector = d->sectors, .buf = slots[0].buf, .len = BLK_SECTOR_SIZE};
    bool bad_range = blk_read(d, &io) == -EINVAL;
    CHECK("bad requests refused", bad_len && bad_range, "length %d, range %d",
                bad_len, bad_range);

    const char *ro_name = ktest_arg("ro");
    if (ro_name) {
        struct blk_dev *ro = blk_find(ro_name);
        rc = -ENODEV;
        if (ro) {
            rc = blk_write_sync(ro, 0, slots[0].buf, BLOCK);
            /* And it still reads. */
            if (rc == -EROFS && blk_read_sync(ro, 0, slots[0].buf, BLOCK))
                rc = -EIO;
        }
        CHECK("read-only", ro && ro->read_only && rc == -EROFS,
                    "%s: read_only %d, write returned %d", ro_name, ro ? ro->read_only : -1, rc);
    }
}
