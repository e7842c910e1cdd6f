/* virtio-blk over a file; see virtio_blk.h. Virtio 1.2 §5.2.4 (config), §5.2.6 (requests:
 * a device-readable header, data, a device-writable status byte, in any descriptor layout). */
#include "vmm/devices/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vmm/log.h"
#include "vmm/metrics.h"

#define SECTOR VIRTIO_BLK_SECTOR_SIZE
#define FEATURE(bit) (1ull << (bit))

/* preadv/pwritev until every byte moved; a short transfer at end of file is an error. */
static int rw_full(int fd, struct iovec *iov, int n, uint64_t off, bool write)
{
    while (n > 0) {
        ssize_t r = write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO;
        off += (uint64_t)r;
        while (n > 0 && (size_t)r >= iov->iov_len) {
            r -= iov->iov_len;
            iov++, n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + r;
            iov->iov_len -= r;
        }
    }
    return 0;
}

static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
    return bytes % SECTOR == 0 && sector <= b->sectors && bytes / SECTOR <= b->sectors - sector;
}

/* T_IN / T_OUT: data bytes [from, from + len) of the chain's readable (out) or writable (in)
 * buffers. Returns a VIRTIO_BLK_S_* status. */
static uint8_t transfer(struct virtio_blk *b, const struct virtq_chain *c, uint64_t sector,
                        bool write, size_t from, uint64_t len)
{
    const struct iovec *iov = write ? c->iov : c->iov + c->nread;
    unsigned n = write ? c->nread : c->nwrite;

    if (!in_range(b, sector, len))
        return VIRTIO_BLK_S_IOERR;
    if (write && b->read_only)
        return VIRTIO_BLK_S_IOERR;
    int k = virtq_iov_slice(iov, n, from, len, b->data, VIRTIO_BLK_QUEUE_SIZE);
    if (k < 0)
        return VIRTIO_BLK_S_IOERR;
    int rc = rw_full(b->fd, b->data, k, sector * SECTOR, write);
    if (rc) {
        log_msg(LOG_DEBUG, "%s: %s of %llu bytes at sector %llu: %s", b->mmio.name,
                write ? "write" : "read", (unsigned long long)len, (unsigned long long)sector,
                strerror(-rc));
        return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
}

static int blk_request(struct virtio_mmio *v, unsigned qi, struct virtq_chain *c, uint32_t *written)
{
    struct virtio_blk *b = v->dev;
    struct virtio_blk_req_hdr h;
    const struct iovec *in = c->iov + c->nread;
    uint32_t done = 0;
    uint8_t status;

    if (c->read_len < sizeof(h) || c->write_len < 1)
        return virtq_set_fault(&v->queues[qi], -EINVAL,
                               "block request at head %u: %llu "
                               "device-readable and %llu device-writable bytes (needs a "
                               "16-byte header and a status byte)",
                               c->head, (unsigned long long)c->read_len,
                               (unsigned long long)c->write_len);
    virtq_iov_to_buf(c->iov, c->nread, 0, &h, sizeof(h));
    uint64_t out_len = c->read_len - sizeof(h); /* data the driver gave */
    uint64_t in_len = c->write_len - 1;         /* room for data the device returns */

    switch (h.type) {
    case VIRTIO_BLK_T_IN:
        status = out_len ? VIRTIO_BLK_S_IOERR : transfer(b, c, h.sector, false, 0, in_len);
        if (status == VIRTIO_BLK_S_OK)
            done = (uint32_t)in_len;
        break;
    case VIRTIO_BLK_T_OUT:
        status = in_len ? VIRTIO_BLK_S_IOERR : transfer(b, c, h.sector, true, sizeof(h), out_len);
        break;
    case VIRTIO_BLK_T_FLUSH:
        status = fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
        break;
    case VIRTIO_BLK_T_GET_ID:
        done = in_len < VIRTIO_BLK_ID_BYTES ? (uint32_t)in_len : VIRTIO_BLK_ID_BYTES;
        virtq_buf_to_iov(in, c->nwrite, 0, b->id, done);
        status = VIRTIO_BLK_S_OK;
        break;
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    b->ioerr += status == VIRTIO_BLK_S_IOERR;
    b->unsupp += status == VIRTIO_BLK_S_UNSUPP;
    if (status != VIRTIO_BLK_S_OK) {
        metric_inc(M_block__io_errors);
    } else if (h.type == VIRTIO_BLK_T_IN) {
        metric_inc(M_block__read_count);
        metric_add(M_block__read_bytes, in_len);
    } else if (h.type == VIRTIO_BLK_T_OUT) {
        metric_inc(M_block__write_count);
        metric_add(M_block__write_bytes, out_len);
    } else if (h.type == VIRTIO_BLK_T_FLUSH) {
        metric_inc(M_block__flush_count);
    }
    /* The status byte is the chain's last writable byte, written after the data. */
    virtq_buf_to_iov(in, c->nwrite, c->write_len - 1, &status, 1);
    *written = done + 1;
    return 0;
}

static const struct virtio_device_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .request = blk_request,
};

int virtio_blk_open(struct virtio_blk *b, const struct dev_env *env,
                    const struct virtio_blk_params *p)
{
    int rc;

    memset(b, 0, sizeof(*b));
    b->fd = open(p->path, (p->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (b->fd < 0) {
        rc = -errno;
        log_msg(LOG_ERROR, "drive %s: %s: %s", p->id, p->path, strerror(-rc));
        return rc;
    }
    off_t size = lseek(b->fd, 0, SEEK_END); /* also right for a block device */
    if (size < 0) {
        rc = -errno;
        log_msg(LOG_ERROR, "drive %s: %s: %s", p->id, p->path, strerror(-rc));
        close(b->fd);
        return rc;
    }
    if (size % SECTOR)
        log_msg(LOG_WARN,
                "drive %s: %s: size %lld is not a multiple of %d; the last %lld "
                "bytes are not visible",
                p->id, p->path, (long long)size, SECTOR, (long long)(size % SECTOR));
    b->read_only = p->read_only;
    b->sectors = (uint64_t)size / SECTOR;
    size_t idlen = strnlen(p->id, sizeof(b->id)); /* zero-padded, no NUL at 20 bytes */
    memcpy(b->id, p->id, idlen);
    b->config.capacity = b->sectors;
    b->config.size_max = VIRTIO_BLK_SIZE_MAX;
    b->config.seg_max = VIRTIO_BLK_SEG_MAX;
    b->config.blk_size = SECTOR;

    uint64_t features = FEATURE(VIRTIO_BLK_F_SIZE_MAX) | FEATURE(VIRTIO_BLK_F_SEG_MAX) |
                        FEATURE(VIRTIO_BLK_F_BLK_SIZE) | FEATURE(VIRTIO_BLK_F_FLUSH) |
                        FEATURE(VIRTIO_F_EVENT_IDX) | FEATURE(VIRTIO_F_INDIRECT_DESC);
    if (p->read_only)
        features |= FEATURE(VIRTIO_BLK_F_RO);
    struct virtio_mmio_params mp = {
        .base = p->base,
        .irq = p->irq,
        .features = features,
        .config = &b->config,
        .config_len = sizeof(b->config),
        .nqueues = 1,
        .queue_size = VIRTIO_BLK_QUEUE_SIZE,
        .max_chain_bytes = (uint64_t)VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX + SECTOR,
        .threaded = p->threaded,
    };
    if ((rc = virtio_mmio_init(&b->mmio, env, &blk_ops, b, &mp)) ||
        (rc = virtio_mmio_start(&b->mmio))) {
        virtio_blk_close(b);
        return rc;
    }
    return 0;
}

void virtio_blk_close(struct virtio_blk *b)
{
    virtio_mmio_destroy(&b->mmio);
    if (b->fd >= 0)
        close(b->fd);
    b->fd = -1;
}

int virtio_blk_change_medium(struct virtio_blk *b, const char *path)
{
    int fd = open(path, (b->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    pthread_mutex_lock(&b->mmio.lock);     /* requests run under it: none sees a half swap */
    int old = b->fd;
    b->fd = fd;
    b->sectors = (uint64_t)size / SECTOR;
    b->config.capacity = b->sectors;
    pthread_mutex_unlock(&b->mmio.lock);
    close(old);
    virtio_mmio_config_changed(&b->mmio);
    return 0;
}
