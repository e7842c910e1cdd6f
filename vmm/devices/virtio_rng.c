/* virtio-rng; see virtio_rng.h. Virtio 1.2 §5.4.6: the driver places device-writable
 * buffers only; the device fills them with random bytes. */
#include "vmm/devices/virtio_rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define FEATURE(bit) (1ull << (bit))

static int fill(uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int rng_request(struct virtio_mmio *v, unsigned qi, struct virtq_chain *c, uint32_t *written)
{
    struct virtio_rng *r = v->dev;
    uint32_t done = 0;

    if (c->nread) /* §5.4.6.1: "The driver MUST NOT place driver-readable buffers" */
        return virtq_set_fault(&v->queues[qi], -EINVAL,
                               "entropy request at head %u has "
                               "device-readable buffers",
                               c->head);
    for (unsigned i = 0; i < c->nwrite && done < VIRTIO_RNG_REQUEST_MAX; i++) {
        size_t len = c->iov[i].iov_len;
        if (len > VIRTIO_RNG_REQUEST_MAX - done)
            len = VIRTIO_RNG_REQUEST_MAX - done;
        if (fill(c->iov[i].iov_base, len))
            break; /* no entropy now: hand back what we have */
        done += (uint32_t)len;
    }
    r->bytes += done;
    *written = done;
    return 0;
}

static const struct virtio_device_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .request = rng_request,
};

int virtio_rng_init(struct virtio_rng *r, const struct dev_env *env, uint64_t base, unsigned irq,
                    bool threaded)
{
    memset(r, 0, sizeof(*r));
    struct virtio_mmio_params mp = {
        .base = base,
        .irq = irq,
        .features = FEATURE(VIRTIO_F_EVENT_IDX) | FEATURE(VIRTIO_F_INDIRECT_DESC),
        .nqueues = 1,
        .queue_size = VIRTIO_RNG_QUEUE_SIZE,
        .threaded = threaded,
    };
    int rc = virtio_mmio_init(&r->mmio, env, &rng_ops, r, &mp);
    if (!rc && (rc = virtio_mmio_start(&r->mmio)))
        virtio_mmio_destroy(&r->mmio);
    return rc;
}

void virtio_rng_destroy(struct virtio_rng *r)
{
    virtio_mmio_destroy(&r->mmio);
}
