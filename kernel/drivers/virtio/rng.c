/* virtio-rng (virtio 1.2 §5.4): one queue of device-writable buffers, no configuration. A source
 * for the entropy pool: each read is one request, waited for asleep (interrupt) or polled. */
#include <errno.h>

#include "mote/entropy.h"
#include "mote/mm.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/virtio.h"

#define VRNG_QUEUE_SIZE 8
#define VRNG_BUF 256

struct vrng {
    struct virtio_device *vdev;
    struct vq *q;
    struct mutex reader; /* one request at a time */
    spinlock_t lock;     /* the queue; waiters */
    struct wait_queue waiters;
    uint8_t *buf;        /* VRNG_BUF bytes in a page of its own */
};

static ssize_t vrng_read(void *ctx, void *out, size_t len)
{
    struct vrng *r = ctx;
    struct vq_buf b = {virt_to_phys(r->buf), (uint32_t)MIN(len, (size_t)VRNG_BUF)};
    mutex_lock(&r->reader);
    uint64_t flags = spin_lock(&r->lock);
    int rc = vq_add(r->q, &b, 0, 1, r);
    bool kick = rc == 0 && vq_kick_prepare(r->q);
    spin_unlock(&r->lock, flags);
    if (rc) {
        mutex_unlock(&r->reader);
        return rc;
    }
    if (kick)
        vq_notify(r->q);
    bool irq = virtio_irq_mode(r->vdev) && r->q->cb_enabled;
    uint32_t got = 0;
    flags = spin_lock(&r->lock);
    while (!vq_get(r->q, &got) && !r->q->broken) {
        if (irq)
            wait_on(&r->waiters, &r->lock, flags, 0);
        else
            spin_unlock(&r->lock, flags);
        flags = spin_lock(&r->lock);
    }
    spin_unlock(&r->lock, flags);
    got = MIN(got, b.len);
    memcpy(out, r->buf, got);
    mutex_unlock(&r->reader);
    return r->q->broken ? -EIO : (ssize_t)got;
}

static void vrng_callback(struct vq *q)
{
    struct vrng *r = q->priv;
    uint64_t flags = spin_lock(&r->lock);
    wake_all(&r->waiters);
    spin_unlock(&r->lock, flags);
}

static int vrng_probe(struct virtio_device *d)
{
    struct vrng *r = kzalloc(sizeof(*r));
    paddr_t page = page_alloc();
    if (!r || !page)
        return -ENOMEM;
    r->vdev = d;
    r->buf = phys_to_virt(page);
    r->reader = (struct mutex)MUTEX_INIT;
    r->lock = (spinlock_t)SPINLOCK_INIT;
    r->waiters = (struct wait_queue)WAIT_QUEUE_INIT;
    r->q = virtio_setup_vq(d, 0, VRNG_QUEUE_SIZE, 0, vrng_callback, r);
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
