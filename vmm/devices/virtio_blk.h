/* virtio-blk (virtio 1.2 §5.2) backed by a host file or block device, on virtio-mmio. Reads and
 * writes go with preadv/pwritev straight between the file and guest memory (no bounce buffer);
 * T_FLUSH is fdatasync; GET_ID answers the drive id; a read-only drive offers VIRTIO_BLK_F_RO
 * and fails writes with IOERR. */
#ifndef VMM_DEVICES_VIRTIO_BLK_H
#define VMM_DEVICES_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/devices/virtio_mmio.h"

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2) /* a chain also holds header, status */
#define VIRTIO_BLK_SIZE_MAX (1u << 20)                 /* bytes in one data descriptor */

struct virtio_blk_params {
    const char *path;
    const char *id;             /* GET_ID answer: truncated / zero-padded to 20 bytes */
    bool read_only;
    uint64_t base;              /* MMIO slot */
    unsigned irq;
    bool threaded;              /* see virtio_mmio.h */
};

struct virtio_blk {
    struct virtio_mmio mmio;    /* first: what the bus is handed */
    int fd;
    bool read_only;
    uint64_t sectors;           /* capacity in 512-byte sectors (a partial last one is unused) */
    char id[VIRTIO_BLK_ID_BYTES];
    struct virtio_blk_config config;
    struct iovec data[VIRTIO_BLK_QUEUE_SIZE]; /* the data part of the request in flight */
    unsigned long ioerr, unsupp;              /* requests answered with an error */
};

/* Opens the backing file (O_RDWR, or O_RDONLY when read-only) and sets the device up; starts
 * its thread when threaded. Returns 0 or a negative errno (logged with the path). */
int virtio_blk_open(struct virtio_blk *b, const struct dev_env *env,
                    const struct virtio_blk_params *p);

/* Media change (Firecracker's PATCH /drives path_on_host after start): opens path as the drive
 * was opened, swaps it in between requests, updates the capacity and raises the config-change
 * interrupt. Returns 0 or a negative errno; on error the old medium stays. */
int virtio_blk_change_medium(struct virtio_blk *b, const char *path);

/* Stops the device and closes the file. */
void virtio_blk_close(struct virtio_blk *b);

#endif
