/* virtio-rng (virtio 1.2 §5.4): one queue of device-writable buffers, no configuration. A source
 * for the entropy pool: each read is one request, waited for (polled, or by interrupt). */
#include <errno.h>

#include "mote/entropy.h"
#include "mote/mm.h"
#include "mote/string.h"
#include "mote/virtio.h"
#include "mote/x86.h"

#define VRNG_QUEUE_SIZE 8
#define VRNG_BUF 256

struct vrng {
    struct virtio_device *vdev;
    struct vq *q;
    uint8_t *buf; /* VRNG_BUF bytes in a page of its own */
};

static ssize_t vrng_read(void *ctx, void *out, size_t len)
{
    struct vrng *r = ctx;
    struct vq_buf b = {virt_to_phys(r->buf), (uint32_t)MIN(len, (size_t)VRNG_BUF)};
    int rc = vq_add(r->q, &b, 0, 1, r);
    if (rc)
        return rc;
    vq_kick(r->q);
    uint32_t got = 0;
    void *done;
    while (!(done = vq_get(r->q, &got))) {
        if (r->q->broken)
            return -EIO;
        if (virtio_irq_mode(r->vdev) && vq_enable_cb(r->q))
            sti_hlt_cli();
    }
    vq_disable_cb(r->q);
    got = MIN(got, b.len);
    memcpy(out, r->buf, got);
    return got;
}

static int vrng_probe(struct virtio_device *d)
{
    struct vrng *r = kzalloc(sizeof(*r));
    paddr_t page = page_alloc();
    if (!r || !page)
        return -ENOMEM;
    r->vdev = d;
    r->buf = phys_to_virt(page);
    /* No callback: reads wait for their own completion. */
    r->q = virtio_setup_vq(d, 0, VRNG_QUEUE_SIZE, 0, NULL, r);
    if (!r->q)
        return -ENOMEM;
    d->priv = r;
    return entropy_add_source(d->name, vrng_read, r);
}

const struct virtio_driver virtio_rng_driver = {
    .name = "virtio-rng",
    .id = VIRTIO_ID_RNG,
    .features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX,
    .probe = vrng_probe,
};
