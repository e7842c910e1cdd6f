/* The block layer (mote/blk.h): the disk table and the checks every request passes. */
#include <errno.h>

#include "mote/blk.h"
#include "mote/printk.h"
#include "mote/string.h"

#define MAX_DISKS 8

static struct blk_dev *disks[MAX_DISKS];
static unsigned ndisks;

int blk_register(struct blk_dev *d)
{
    if (ndisks == MAX_DISKS)
        return -ENOMEM;
    memcpy(d->name, "vd", 2);
    d->name[2] = (char)('a' + ndisks);
    d->name[3] = '\0';
    disks[ndisks++] = d;
    pr_info("blk: %s: %lu sectors%s on %s\n", d->name, d->sectors,
            d->read_only ? ", read-only" : "", d->transport ? d->transport : "?");
    return 0;
}

unsigned blk_count(void)
{
    return ndisks;
}

struct blk_dev *blk_get(unsigned index)
{
    return index < ndisks ? disks[index] : NULL;
}

struct blk_dev *blk_find(const char *name)
{
    for (unsigned i = 0; i < ndisks; i++)
        if (strcmp(disks[i]->name, name) == 0)
            return disks[i];
    return NULL;
}

static int start(struct blk_dev *d, struct blk_io *io, int op)
{
    io->op = op;
    io->status = 0;
    io->complete = false;
    io->issued = 0;
    io->pending = 0;
    io->next = NULL;
    d->ops->submit(d, io, d->plugged == 0);
    return 0;
}

void blk_plug(struct blk_dev *d)
{
    d->plugged++;
}

void blk_unplug(struct blk_dev *d)
{
    if (d->plugged && --d->plugged == 0)
        d->ops->kick(d);
}

static int start_rw(struct blk_dev *d, struct blk_io *io, int op)
{
    if (op == BLK_OP_WRITE && d->read_only)
        return -EROFS;
    if (io->len == 0 || io->len % BLK_SECTOR_SIZE || !io->buf)
        return -EINVAL;
    uint64_t n = io->len / BLK_SECTOR_SIZE;
    if (io->sector > d->sectors || n > d->sectors - io->sector)
        return -EINVAL;
    return start(d, io, op);
}

int blk_read(struct blk_dev *d, struct blk_io *io)
{
    return start_rw(d, io, BLK_OP_READ);
}

int blk_write(struct blk_dev *d, struct blk_io *io)
{
    return start_rw(d, io, BLK_OP_WRITE);
}

int blk_flush(struct blk_dev *d, struct blk_io *io)
{
    if (!d->can_flush)
        return -EOPNOTSUPP;
    io->len = 0;
    io->sector = 0;
    return start(d, io, BLK_OP_FLUSH);
}

int blk_get_id(struct blk_dev *d, struct blk_io *io)
{
    if (!io->buf)
        return -EINVAL;
    io->len = BLK_ID_BYTES;
    io->sector = 0;
    return start(d, io, BLK_OP_GET_ID);
}

bool blk_poll(struct blk_dev *d)
{
    return d->ops->poll(d);
}

int blk_wait(struct blk_dev *d, struct blk_io *io)
{
    if (!io->complete) /* set once, under the driver's lock; a plain read suffices here */
        d->ops->wait(d, io);
    return io->status;
}

static int sync_io(struct blk_dev *d, int (*fn)(struct blk_dev *, struct blk_io *),
                   uint64_t sector, void *buf, size_t len)
{
    struct blk_io io = {.sector = sector, .buf = buf, .len = len};
    int rc = fn(d, &io);
    return rc ? rc : blk_wait(d, &io);
}

int blk_read_sync(struct blk_dev *d, uint64_t sector, void *buf, size_t len)
{
    return sync_io(d, blk_read, sector, buf, len);
}

int blk_write_sync(struct blk_dev *d, uint64_t sector, const void *buf, size_t len)
{
    return sync_io(d, blk_write, sector, (void *)buf, len);
}

int blk_flush_sync(struct blk_dev *d)
{
    return sync_io(d, blk_flush, 0, NULL, 0);
}

int blk_get_id_sync(struct blk_dev *d, char *id)
{
    /* The device writes the ID into memory it can reach: a stack buffer is fine (direct-mapped
     * kernel stack). */
    memset(id, 0, BLK_ID_BYTES + 1);
    return sync_io(d, blk_get_id, 0, id, BLK_ID_BYTES);
}
