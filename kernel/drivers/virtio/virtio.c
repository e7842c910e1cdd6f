/* The virtio device core: the devices the transports found, device initialization and feature
 * negotiation (virtio 1.2 §3.1.1, legacy §3.1.2), queue memory, config reads across generation
 * changes (§2.5.1), and the interrupt handler. */
#include <errno.h>

#include "mote/io.h"
#include "mote/irq.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/virtio.h"

#define MAX_DEVICES 16

bool virtio_force_poll;
static struct virtio_device *devices[MAX_DEVICES];
static unsigned ndevices;

int virtio_add_device(struct virtio_device *d)
{
    if (ndevices == MAX_DEVICES) {
        pr_warn("virtio: %s: too many devices, ignored\n", d->name);
        return -ENOMEM;
    }
    devices[ndevices++] = d;
    return 0;
}

unsigned virtio_device_count(void)
{
    return ndevices;
}

/* ---- config space ---- */

/* A single access of 1, 2 or 4 bytes is atomic; only wider fields need the generation loop. */
uint8_t virtio_cread8(struct virtio_device *d, unsigned off)
{
    return (uint8_t)d->ops->config_read(d, off, 1);
}

uint16_t virtio_cread16(struct virtio_device *d, unsigned off)
{
    return (uint16_t)d->ops->config_read(d, off, 2);
}

uint32_t virtio_cread32(struct virtio_device *d, unsigned off)
{
    return d->ops->config_read(d, off, 4);
}

uint64_t virtio_cread64(struct virtio_device *d, unsigned off)
{
    /* Two 32-bit halves must come from the same generation. Legacy transports have none. */
    if (d->flags & VIRTIO_TRANSPORT_LEGACY)
        return d->ops->config_read(d, off, 4) | (uint64_t)d->ops->config_read(d, off + 4, 4) << 32;
    uint32_t g, lo, hi;
    do {
        g = d->ops->config_generation(d);
        lo = d->ops->config_read(d, off, 4);
        hi = d->ops->config_read(d, off + 4, 4);
    } while (g != d->ops->config_generation(d));
    return lo | (uint64_t)hi << 32;
}

/* ---- queues ---- */

struct vq *virtio_setup_vq(struct virtio_device *d, unsigned index, unsigned max_size,
                           unsigned indirect_max, vq_callback_fn callback, void *priv)
{
    if (index >= VIRTIO_MAX_QUEUES)
        return NULL;
    unsigned dev_max = d->ops->queue_max(d, index);
    if (dev_max == 0 || (dev_max & (dev_max - 1))) {
        pr_warn("virtio: %s: queue %u: size %u unusable\n", d->name, index, dev_max);
        return NULL;
    }
    unsigned size = dev_max;
    if (!(d->flags & VIRTIO_TRANSPORT_FIXED_QSIZE))
        while (size > max_size && size > 1)
            size >>= 1;
    if (!virtio_has(d, VIRTIO_F_INDIRECT_DESC))
        indirect_max = 0;

    size_t ring_bytes = vq_ring_bytes(size);
    size_t ind_bytes = (size_t)size * indirect_max * sizeof(struct virtq_desc);
    size_t slot_bytes = size * sizeof(struct vq_slot);
    struct vq *q = kzalloc(sizeof(*q));
    paddr_t slots = page_alloc_contig(ALIGN_UP(slot_bytes, PAGE_SIZE) / PAGE_SIZE);
    paddr_t ring = page_alloc_contig(ALIGN_UP(ring_bytes, PAGE_SIZE) / PAGE_SIZE);
    paddr_t ind = ind_bytes ? page_alloc_contig(ALIGN_UP(ind_bytes, PAGE_SIZE) / PAGE_SIZE) : 0;
    if (!q || !slots || !ring || (ind_bytes && !ind)) {
        pr_warn("virtio: %s: no memory for queue %u (%u entries)\n", d->name, index, size);
        return NULL;
    }
    vq_init(q, size, phys_to_virt(ring), ring, virtio_has(d, VIRTIO_F_EVENT_IDX),
            ind ? phys_to_virt(ind) : NULL, ind, indirect_max, phys_to_virt(slots));
    q->index = (uint16_t)index;
    q->dev = d;
    q->callback = callback;
    q->priv = priv;
    if (d->ops->queue_setup(d, q)) {
        pr_warn("virtio: %s: queue %u refused\n", d->name, index);
        return NULL;
    }
    d->vqs[index] = q;
    if (index >= d->nvqs)
        d->nvqs = index + 1;
    return q;
}

/* ---- interrupts ---- */

void virtio_interrupt(void *device)
{
    struct virtio_device *d = device;
    uint32_t isr = d->ops->isr(d);
    if (isr & VIRTIO_PCI_ISR_QUEUE)
        for (unsigned i = 0; i < d->nvqs; i++)
            if (d->vqs[i] && d->vqs[i]->callback)
                d->vqs[i]->callback(d->vqs[i]);
}

bool virtio_irq_mode(struct virtio_device *d)
{
    return d->irq_registered && irq_available();
}

/* ---- initialization (§3.1.1) ---- */

static const struct virtio_driver *find_driver(uint32_t id)
{
    for (unsigned i = 0; virtio_drivers[i]; i++)
        if (virtio_drivers[i]->id == id)
            return virtio_drivers[i];
    return NULL;
}

static int negotiate(struct virtio_device *d, const struct virtio_driver *drv)
{
    bool legacy = d->flags & VIRTIO_TRANSPORT_LEGACY;
    uint64_t offered = d->ops->get_features(d);
    uint64_t wanted = drv->features;
    if (legacy)
        wanted &= 0xffffffffull; /* no VERSION_1 and above on the legacy interface */
    else if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
        pr_warn("virtio: %s: modern transport without VERSION_1\n", d->name);
        return -ENODEV;
    }
    d->features = offered & wanted;
    d->ops->set_features(d, d->features);
    if (legacy)
        return 0;
    d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                              VIRTIO_STATUS_FEATURES_OK);
    if (!(d->ops->get_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
        pr_warn("virtio: %s: device refused features %lx\n", d->name, d->features);
        return -ENODEV;
    }
    return 0;
}

static int init_device(struct virtio_device *d, const struct virtio_driver *drv)
{
    d->ops->reset(d);
    d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
    d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    int rc = negotiate(d, drv);
    if (rc == 0) {
        d->driver = drv;
        /* The handler first: it only looks at the queues probe sets up. */
        if (!virtio_force_poll &&
            irq_register(d->gsi, d->irq_level, d->irq_active_low, virtio_interrupt, d) == 0)
            d->irq_registered = true;
        rc = drv->probe(d);
    }
    if (rc) {
        d->ops->set_status(d, VIRTIO_STATUS_FAILED);
        return rc;
    }
    uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK;
    if (!(d->flags & VIRTIO_TRANSPORT_LEGACY))
        s |= VIRTIO_STATUS_FEATURES_OK;
    d->ops->set_status(d, s);
    /* Completions by interrupt from now on for the queues that have a callback. */
    if (virtio_irq_mode(d))
        for (unsigned i = 0; i < d->nvqs; i++)
            if (d->vqs[i] && d->vqs[i]->callback)
                vq_enable_cb(d->vqs[i]);
    return 0;
}

void virtio_probe_all(void)
{
    for (unsigned i = 0; i < ndevices; i++) {
        struct virtio_device *d = devices[i];
        const struct virtio_driver *drv = find_driver(d->id);
        if (!drv) {
            pr_info("virtio: %s: device type %u, no driver\n", d->name, d->id);
            continue;
        }
        int rc = init_device(d, drv);
        if (rc)
            pr_warn("virtio: %s: %s driver failed (%d)\n", d->name, drv->name, rc);
    }
}
