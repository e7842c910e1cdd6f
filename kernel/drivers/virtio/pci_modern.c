/* The modern virtio PCI transport (virtio 1.2 §4.1.4): vendor capabilities locate the common,
 * notify, ISR and device configuration structures inside memory BARs, which are mapped uncached.
 * 64-bit features, driver-chosen queue sizes and split ring addresses. */
#include <errno.h>

#include "drivers/virtio/pci.h"
#include "mote/io.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"

struct modern {
    volatile struct virtio_pci_common_cfg *common;
    volatile uint8_t *isr;
    volatile uint8_t *device;
    volatile uint8_t *notify_base;
    uint32_t notify_mult;
    volatile uint16_t *notify[VIRTIO_MAX_QUEUES];
};

#define M(d) ((struct modern *)(d)->transport)
#define COMMON(d, field) ((volatile char *)M(d)->common + VIRTIO_OFF(struct virtio_pci_common_cfg, field))

static uint64_t mod_get_features(struct virtio_device *d)
{
    mmio_write32(COMMON(d, device_feature_select), 0);
    uint64_t f = mmio_read32(COMMON(d, device_feature));
    mmio_write32(COMMON(d, device_feature_select), 1);
    return f | (uint64_t)mmio_read32(COMMON(d, device_feature)) << 32;
}

static void mod_set_features(struct virtio_device *d, uint64_t f)
{
    mmio_write32(COMMON(d, driver_feature_select), 0);
    mmio_write32(COMMON(d, driver_feature), (uint32_t)f);
    mmio_write32(COMMON(d, driver_feature_select), 1);
    mmio_write32(COMMON(d, driver_feature), (uint32_t)(f >> 32));
}

static uint8_t mod_get_status(struct virtio_device *d)
{
    return mmio_read8(COMMON(d, device_status));
}

static void mod_set_status(struct virtio_device *d, uint8_t s)
{
    mmio_write8(COMMON(d, device_status), s);
}

static void mod_reset(struct virtio_device *d)
{
    mmio_write8(COMMON(d, device_status), 0);
    while (mmio_read8(COMMON(d, device_status))) /* §4.1.4.3.2 */
        ;
}

static uint32_t mod_generation(struct virtio_device *d)
{
    return mmio_read8(COMMON(d, config_generation));
}

static uint32_t mod_config_read(struct virtio_device *d, unsigned off, unsigned len)
{
    volatile uint8_t *a = M(d)->device + off;
    if (!M(d)->device)
        return 0;
    return len == 1 ? mmio_read8(a) : len == 2 ? mmio_read16(a) : mmio_read32(a);
}

static void mod_config_write(struct virtio_device *d, unsigned off, uint32_t v, unsigned len)
{
    volatile uint8_t *a = M(d)->device + off;
    if (!M(d)->device)
        return;
    if (len == 1)
        mmio_write8(a, (uint8_t)v);
    else if (len == 2)
        mmio_write16(a, (uint16_t)v);
    else
        mmio_write32(a, v);
}

static unsigned mod_queue_max(struct virtio_device *d, unsigned index)
{
    mmio_write16(COMMON(d, queue_select), (uint16_t)index);
    return mmio_read16(COMMON(d, queue_size));
}

static void write64(volatile char *a, uint64_t v)
{
    mmio_write32(a, (uint32_t)v);
    mmio_write32(a + 4, (uint32_t)(v >> 32));
}

static int mod_queue_setup(struct virtio_device *d, struct vq *q)
{
    /* queue_select still holds q->index (queue_max came just before). */
    mmio_write16(COMMON(d, queue_size), q->size);
    write64(COMMON(d, queue_desc), q->desc_pa);
    write64(COMMON(d, queue_driver), q->avail_pa);
    write64(COMMON(d, queue_device), q->used_pa);
    uint16_t off = mmio_read16(COMMON(d, queue_notify_off));
    M(d)->notify[q->index] =
        (volatile uint16_t *)(M(d)->notify_base + (uint64_t)off * M(d)->notify_mult);
    mmio_write16(COMMON(d, queue_enable), 1);
    return 0;
}

static void mod_notify(struct virtio_device *d, struct vq *q)
{
    mmio_write16(M(d)->notify[q->index], q->index);
}

static uint32_t mod_isr(struct virtio_device *d)
{
    return mmio_read8(M(d)->isr); /* reading clears it */
}

static const struct virtio_transport_ops modern_ops = {
    .get_features = mod_get_features,
    .set_features = mod_set_features,
    .get_status = mod_get_status,
    .set_status = mod_set_status,
    .reset = mod_reset,
    .config_generation = mod_generation,
    .config_read = mod_config_read,
    .config_write = mod_config_write,
    .queue_max = mod_queue_max,
    .queue_setup = mod_queue_setup,
    .notify = mod_notify,
    .isr = mod_isr,
};

/* Where a capability says its structure is. */
struct cap_loc {
    unsigned pos; /* 0: not found */
    uint8_t bar;
    uint32_t off, len;
};

/* Maps the structure a capability points at; NULL when it is unusable. The BAR is not sized (ten
 * configuration accesses): the device's own capability says how long the structure is. */
static volatile void *map_cap(struct pci_dev *p, const struct cap_loc *c)
{
    paddr_t base;
    bool io;
    if (!c->pos || c->bar > 5 || c->len == 0 || pci_bar_base(p, c->bar, &base, &io) || io)
        return NULL;
    return ioremap(base + c->off, c->len);
}

int virtio_pci_modern_probe(struct pci_dev *p)
{
    /* One walk of the capability list: the header dword (id, next, cfg_type), then bar, offset
     * and length of the first capability of each type (§4.1.4). */
    struct cap_loc caps[VIRTIO_PCI_CAP_DEVICE_CFG + 1] = {0};
    unsigned notify_mult_pos = 0;
    if (!(pci_read(p, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return -ENODEV;
    unsigned pos = pci_read(p, PCI_CAP_PTR, 1) & ~3u;
    for (int guard = 0; pos >= 0x40 && guard < 48; guard++) {
        uint32_t w = pci_read(p, pos, 4);
        uint8_t type = (uint8_t)(w >> 24);
        if ((uint8_t)w == PCI_CAP_ID_VNDR && type >= VIRTIO_PCI_CAP_COMMON_CFG &&
            type <= VIRTIO_PCI_CAP_DEVICE_CFG && !caps[type].pos) {
            struct cap_loc *c = &caps[type];
            c->pos = pos;
            c->bar = (uint8_t)pci_read(p, pos + VIRTIO_OFF(struct virtio_pci_cap, bar), 1);
            c->off = pci_read(p, pos + VIRTIO_OFF(struct virtio_pci_cap, offset), 4);
            c->len = pci_read(p, pos + VIRTIO_OFF(struct virtio_pci_cap, length), 4);
            if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
                notify_mult_pos = pos + VIRTIO_OFF(struct virtio_pci_notify_cap,
                                                   notify_off_multiplier);
        }
        pos = (w >> 8) & 0xfc;
    }
    if (!caps[VIRTIO_PCI_CAP_COMMON_CFG].pos)
        return -ENODEV;
    struct modern *m = kzalloc(sizeof(*m));
    struct virtio_device *d = kzalloc(sizeof(*d));
    if (!m || !d)
        return -ENOMEM;
    m->common = map_cap(p, &caps[VIRTIO_PCI_CAP_COMMON_CFG]);
    m->notify_base = map_cap(p, &caps[VIRTIO_PCI_CAP_NOTIFY_CFG]);
    m->isr = map_cap(p, &caps[VIRTIO_PCI_CAP_ISR_CFG]);
    m->device = map_cap(p, &caps[VIRTIO_PCI_CAP_DEVICE_CFG]);
    if (notify_mult_pos)
        m->notify_mult = pci_read(p, notify_mult_pos, 4);
    if (!m->common || caps[VIRTIO_PCI_CAP_COMMON_CFG].len < sizeof(struct virtio_pci_common_cfg) ||
        !m->notify_base || !m->isr) {
        pr_warn("virtio-pci %02x:%02x.%u: modern capabilities unusable\n", p->bus, p->dev, p->fn);
        return -EINVAL;
    }
    d->ops = &modern_ops;
    d->transport = m;
    d->regs = (void *)m->common;
    return virtio_pci_add(p, d, virtio_pci_type(p));
}
