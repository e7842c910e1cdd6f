/* The virtio-mmio transport, version 2 and the legacy version 1 (virtio 1.2 §4.2.2, §4.2.4), and
 * discovery from the command line and the DSDT. Each register access is one exit to the monitor. */
#include <errno.h>

#include "core/cmdline.h"
#include "drivers/virtio/mmio.h"
#include "mote/io.h"
#include "mote/mm.h"
#include "mote/platform.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/virtio.h"

#define MMIO_MIN_SIZE 0x100 /* the registers; device config follows */

static inline uint32_t rd(struct virtio_device *d, unsigned reg)
{
    return mmio_read32((char *)d->regs + reg);
}
static inline void wr(struct virtio_device *d, unsigned reg, uint32_t v)
{
    mmio_write32((char *)d->regs + reg, v);
}

static uint64_t mmio_get_features(struct virtio_device *d)
{
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t f = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    if (!(d->flags & VIRTIO_TRANSPORT_LEGACY)) {
        wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        f |= (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    }
    return f;
}

static void mmio_set_features(struct virtio_device *d, uint64_t f)
{
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
    if (!(d->flags & VIRTIO_TRANSPORT_LEGACY)) {
        wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
    }
}

static uint8_t mmio_get_status(struct virtio_device *d)
{
    return (uint8_t)rd(d, VIRTIO_MMIO_STATUS);
}

static void mmio_set_status(struct virtio_device *d, uint8_t s)
{
    wr(d, VIRTIO_MMIO_STATUS, s);
}

static void mmio_reset(struct virtio_device *d)
{
    wr(d, VIRTIO_MMIO_STATUS, 0);
    while (rd(d, VIRTIO_MMIO_STATUS) != 0)
        ;
    if (d->flags & VIRTIO_TRANSPORT_LEGACY)
        wr(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, PAGE_SIZE); /* §4.2.4: before any queue is used */
}

static uint32_t mmio_generation(struct virtio_device *d)
{
    return d->flags & VIRTIO_TRANSPORT_LEGACY ? 0 : rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
}

static uint32_t mmio_config_read(struct virtio_device *d, unsigned off, unsigned len)
{
    void *a = (char *)d->regs + VIRTIO_MMIO_CONFIG + off;
    return len == 1 ? mmio_read8(a) : len == 2 ? mmio_read16(a) : mmio_read32(a);
}

static void mmio_config_write(struct virtio_device *d, unsigned off, uint32_t v, unsigned len)
{
    void *a = (char *)d->regs + VIRTIO_MMIO_CONFIG + off;
    if (len == 1)
        mmio_write8(a, (uint8_t)v);
    else if (len == 2)
        mmio_write16(a, (uint16_t)v);
    else
        mmio_write32(a, v);
}

static unsigned mmio_queue_max(struct virtio_device *d, unsigned index)
{
    wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
    if (!(d->flags & VIRTIO_TRANSPORT_LEGACY) && rd(d, VIRTIO_MMIO_QUEUE_READY))
        return 0; /* §4.2.3.2: the queue must not be in use */
    return rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
}

static int mmio_queue_setup(struct virtio_device *d, struct vq *q)
{
    /* QUEUE_SEL still selects q->index (queue_max came just before). */
    wr(d, VIRTIO_MMIO_QUEUE_NUM, q->size);
    if (d->flags & VIRTIO_TRANSPORT_LEGACY) {
        wr(d, VIRTIO_MMIO_QUEUE_ALIGN, VIRTQ_LEGACY_ALIGN);
        wr(d, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(q->desc_pa >> PAGE_SHIFT));
        return 0;
    }
    wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc_pa);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc_pa >> 32));
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail_pa);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail_pa >> 32));
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used_pa);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used_pa >> 32));
    wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    return 0;
}

static void mmio_notify(struct virtio_device *d, struct vq *q)
{
    wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

/* A virtio-mmio interrupt line belongs to one device, so there is nothing to find out before
 * acknowledging: acknowledge both causes first (one exit instead of reading InterruptStatus too),
 * then the caller runs every queue's callback, so no completion that raised the line is missed.
 * Configuration changes are not acted on. */
static uint32_t mmio_isr(struct virtio_device *d)
{
    wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
    return VIRTIO_MMIO_INT_VRING;
}

static const struct virtio_transport_ops mmio_ops = {
    .get_features = mmio_get_features,
    .set_features = mmio_set_features,
    .get_status = mmio_get_status,
    .set_status = mmio_set_status,
    .reset = mmio_reset,
    .config_generation = mmio_generation,
    .config_read = mmio_config_read,
    .config_write = mmio_config_write,
    .queue_max = mmio_queue_max,
    .queue_setup = mmio_queue_setup,
    .notify = mmio_notify,
    .isr = mmio_isr,
};

static int attach(const struct virtio_mmio_param *p, const char **why)
{
    if (p->size < MMIO_MIN_SIZE) {
        *why = "window smaller than the registers";
        return -EINVAL;
    }
    void *regs = ioremap(p->base, p->size);
    if (!regs) {
        *why = "cannot map the window";
        return -ENOMEM;
    }
    if (mmio_read32((char *)regs + VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC) {
        *why = "no virtio-mmio magic value there";
        return -ENODEV;
    }
    uint32_t version = mmio_read32((char *)regs + VIRTIO_MMIO_VERSION);
    if (version != 1 && version != 2) {
        *why = "unknown virtio-mmio version";
        return -ENODEV;
    }
    uint32_t id = mmio_read32((char *)regs + VIRTIO_MMIO_DEVICE_ID);
    if (id == 0)
        return 0; /* §4.2.3.1.1: a placeholder slot without a device */
    struct virtio_device *d = kzalloc(sizeof(*d));
    if (!d) {
        *why = "out of memory";
        return -ENOMEM;
    }
    d->ops = &mmio_ops;
    d->regs = regs;
    d->flags = version == 1 ? VIRTIO_TRANSPORT_LEGACY : 0;
    d->id = id;
    d->gsi = p->irq;
    d->irq_level = p->level; /* the command line's: edge, active high (Linux's platform IRQ) */
    d->irq_active_low = p->active_low;
    /* "virtio-mmio.v2@0xfeb00e00", without snprintf's cost */
    char *n = str_put(d->name, version == 1 ? "virtio-mmio.v1@0x" : "virtio-mmio.v2@0x");
    str_put_hex(n, p->base, 1);
    return virtio_add_device(d) ? -ENOMEM : 1;
}

#define MAX_MMIO_DEVS 32

unsigned virtio_mmio_discover(struct cmdline *cl)
{
    static const char key[] = "virtio_mmio.device";
    uint64_t bases[MAX_MMIO_DEVS];
    unsigned added = 0, seen = 0, nbases = 0;
    for (int i = 0; i < cl->nparams; i++) {
        const char *p = cl->params[i];
        if (!str_starts(p, key) || (p[sizeof(key) - 1] != '=' && p[sizeof(key) - 1] != '\0'))
            continue;
        const char *arg = p[sizeof(key) - 1] ? p + sizeof(key) : "";
        seen++;
        struct virtio_mmio_param mp;
        const char *why = NULL;
        int rc = virtio_mmio_parse(arg, &mp, &why);
        if (rc == 0)
            rc = attach(&mp, &why);
        if (rc < 0)
            pr_warn("virtio-mmio: ignoring %s: %s\n", p, why);
        else
            added += rc;
        if (rc == 0 || rc == 1)
            if (nbases < MAX_MMIO_DEVS)
                bases[nbases++] = mp.base;
    }
    if (seen)
        cmdline_consume(cl, key);

    /* The DSDT's LNRO0005 devices (QEMU microvm with ACPI announces them only there), after the
     * command line's; a window the command line named already is skipped. */
    if (strcmp(platform.source, "ACPI") != 0)
        return added;
    struct virtio_mmio_param found[MAX_MMIO_DEVS];
    int n = acpi_virtio_mmio(&platform, phys_read_low, bases, nbases, found, MAX_MMIO_DEVS);
    if (n < 0)
        pr_warn("virtio-mmio: the DSDT lists devices but fails its checksum; ignored\n");
    for (int i = 0; i < n; i++) {
        const char *why = NULL;
        int rc = attach(&found[i], &why);
        if (rc < 0)
            pr_warn("virtio-mmio: ignoring the DSDT's device at %lx: %s\n", found[i].base, why);
        else
            added += rc;
    }
    return added;
}
