/* ext4 over the block layer: see blkdev.h. */
#include "fs/ext4/blkdev.h"

#include "fs/ext4/priv.h"
#include "mote/blk.h"
#include "mote/layout.h"
#include "mote/mm.h"

#define BOUNCE_BYTES (64 * 1024)

struct blkctx {
    struct blk_dev *d;
    uint8_t *bounce; /* BOUNCE_BYTES, physically contiguous */
};

/* Whether [p, p+len) is in the direct map and physically contiguous (within one page, or pages
 * that follow each other). */
static size_t contiguous_run(const uint8_t *p, size_t len)
{
    uintptr_t a = (uintptr_t)p;
    if (a < DIRECT_MAP || a - DIRECT_MAP >= page_ram_top() || len > page_ram_top() - (a - DIRECT_MAP))
        return 0; /* the program's memory, vmalloc, the kernel image: bounced */
    size_t run = MIN(len, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
    while (run < len) {
        size_t step = MIN(len - run, (size_t)PAGE_SIZE);
        if (virt_to_phys(p + run) != virt_to_phys(p) + run)
            break;
        run += step;
    }
    return run;
}

static int xfer(void *ctx, uint64_t off, void *buf, size_t len, bool write)
{
    struct blkctx *c = ctx;
    uint8_t *p = buf;
    while (len) {
        uint64_t sector = off / BLK_SECTOR_SIZE;
        size_t run = contiguous_run(p, len);
        int err;
        if (run >= BLK_SECTOR_SIZE) {
            run &= ~(size_t)(BLK_SECTOR_SIZE - 1);
            err = write ? blk_write_sync(c->d, sector, p, run) : blk_read_sync(c->d, sector, p, run);
        } else {
            run = MIN(len, (size_t)BOUNCE_BYTES);
            if (write)
                memcpy(c->bounce, p, run);
            err = write ? blk_write_sync(c->d, sector, c->bounce, run)
                        : blk_read_sync(c->d, sector, c->bounce, run);
            if (!err && !write)
                memcpy(p, c->bounce, run);
        }
        if (err)
            return -EIO;
        p += run;
        off += run;
        len -= run;
    }
    return 0;
}

static int bread(void *ctx, uint64_t off, void *buf, size_t len)
{
    return xfer(ctx, off, buf, len, false);
}

static int bwrite(void *ctx, uint64_t off, const void *buf, size_t len)
{
    return xfer(ctx, off, (void *)buf, len, true);
}

static int bflush(void *ctx)
{
    struct blkctx *c = ctx;
    if (!c->d->can_flush)
        return 0;
    return blk_flush_sync(c->d) ? -EIO : 0;
}

static void free_bounce(uint8_t *b)
{
    for (unsigned i = 0; b && i < BOUNCE_BYTES / PAGE_SIZE; i++)
        page_free(virt_to_phys(b + (size_t)i * PAGE_SIZE));
}

int ext4_mount_blk(struct blk_dev *d, const struct ext4_mount_opts *o, struct ext4_fs **out,
                   char *why, size_t why_len)
{
    struct blkctx *c = ext4_malloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->d = d;
    paddr_t pa = page_alloc_contig(BOUNCE_BYTES / PAGE_SIZE); /* zeroed, contiguous */
    c->bounce = pa ? phys_to_virt(pa) : NULL;
    if (!c->bounce) {
        ext4_mfree(c);
        return -ENOMEM;
    }
    struct ext4_mount_opts opts = o ? *o : (struct ext4_mount_opts){ 0, 0 };
    if (d->read_only)
        opts.flags |= EXT4_MOUNT_RDONLY;
    struct ext4_dev dev = { bread, bwrite, bflush, NULL, c, d->sectors * BLK_SECTOR_SIZE };
    int err = ext4_mount(&dev, &opts, out, why, why_len);
    if (err) {
        free_bounce(c->bounce);
        ext4_mfree(c);
    }
    return err;
}

int ext4_umount_blk(struct ext4_fs *fs)
{
    struct blkctx *c = fs->dev.ctx;
    int err = ext4_umount(fs);
    free_bounce(c->bounce);
    ext4_mfree(c);
    return err;
}
