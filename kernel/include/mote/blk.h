/* The block layer: disks in discovery order (vda, vdb, ...), asynchronous requests with a
 * completion callback, and synchronous wrappers. Filesystems use this; drivers (virtio-blk)
 * register a struct blk_dev. Sectors are 512 bytes whatever the device's block size.
 *
 * Buffers are kernel addresses of physically contiguous memory (the direct map, the kernel
 * image, page_alloc_contig): the driver hands their physical address to the device. len is a
 * multiple of 512. Completions run from blk_poll or the device's interrupt handler; the sync
 * wrappers sleep on the driver's wait queue when the device interrupts, else they poll. */
#ifndef MOTE_BLK_H
#define MOTE_BLK_H

#include "mote/types.h"

#define BLK_SECTOR_SIZE 512
#define BLK_ID_BYTES 20

enum blk_op { BLK_OP_READ, BLK_OP_WRITE, BLK_OP_FLUSH, BLK_OP_GET_ID };

struct blk_io;
typedef void (*blk_done_fn)(struct blk_io *io);

/* One request. The caller fills the first block, keeps the structure alive until done runs
 * (or the sync wrapper returns) and must not touch it meanwhile. */
struct blk_io {
    uint64_t sector;  /* first 512-byte sector */
    void *buf;        /* data (BLK_OP_GET_ID: at least BLK_ID_BYTES) */
    size_t len;       /* bytes */
    blk_done_fn done; /* may be NULL; called once, when the whole request is over */
    void *arg;        /* the caller's */
    /* set by the block layer and the driver */
    int op;
    int status;       /* 0, -EIO, -EOPNOTSUPP */
    bool complete;    /* set (under the driver's lock) before done runs */
    size_t issued;    /* bytes handed to the device so far (large requests are split) */
    unsigned pending; /* device requests in flight */
    struct blk_io *next;
};

struct blk_dev;
struct blk_ops {
    /* Checked, queued, never refused; the device is told unless kick is false. */
    void (*submit)(struct blk_dev *d, struct blk_io *io, bool kick);
    void (*kick)(struct blk_dev *d); /* tells the device about what was queued */
    bool (*poll)(struct blk_dev *d); /* completes what the device finished; true if any */
    void (*wait)(struct blk_dev *d, struct blk_io *io); /* until io is complete */
};

struct blk_dev {
    char name[8];        /* vda, vdb, ... */
    uint64_t sectors;    /* capacity in 512-byte sectors */
    uint32_t block_size; /* the device's preferred unit (VIRTIO_BLK_F_BLK_SIZE), else 512 */
    bool read_only, can_flush;
    bool irq;            /* completions by interrupt (else polled) */
    uint32_t max_segment, max_segments; /* how the driver splits a request */
    const struct blk_ops *ops;
    void *priv;
    unsigned plugged;    /* blk_plug depth */
    const char *transport; /* "virtio-mmio@0x..." */
};

/* Drivers: adds d under the next name. Returns 0 or -ENOMEM. */
int blk_register(struct blk_dev *d);
unsigned blk_count(void);
struct blk_dev *blk_get(unsigned index); /* NULL past the end */
struct blk_dev *blk_find(const char *name);

/* Asynchronous: check and queue io (fields above set by the caller); 0, or -EINVAL (range,
 * length), -EROFS (write to a read-only disk), -EOPNOTSUPP (flush without FLUSH). io->done runs
 * later from blk_poll or an interrupt. */
int blk_read(struct blk_dev *d, struct blk_io *io);
int blk_write(struct blk_dev *d, struct blk_io *io);
int blk_flush(struct blk_dev *d, struct blk_io *io);
int blk_get_id(struct blk_dev *d, struct blk_io *io);
/* Between blk_plug and blk_unplug, requests queue without telling the device; blk_unplug tells
 * it once (at most one exit for the whole batch). Nests; one thread at a time per disk. */
void blk_plug(struct blk_dev *d);
void blk_unplug(struct blk_dev *d);
/* Runs completions; true if any request completed. */
bool blk_poll(struct blk_dev *d);
/* Until io completes; returns its status. */
int blk_wait(struct blk_dev *d, struct blk_io *io);

/* Synchronous wrappers. */
int blk_read_sync(struct blk_dev *d, uint64_t sector, void *buf, size_t len);
int blk_write_sync(struct blk_dev *d, uint64_t sector, const void *buf, size_t len);
int blk_flush_sync(struct blk_dev *d);
/* The device's ID string (up to 20 bytes), NUL-terminated into id[BLK_ID_BYTES + 1]. */
int blk_get_id_sync(struct blk_dev *d, char *id);

#endif
