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

/* Maps the structure a capability points at; NULL when it lies outside its BAR. */
static volatile void *map_cap(struct pci_dev *p, unsigned cap, uint32_t *len_out)
{
    uint8_t bar_no = (uint8_t)pci_read(p, cap + VIRTIO_OFF(struct virtio_pci_cap, bar), 1);
    uint32_t off = pci_read(p, cap + VIRTIO_OFF(struct virtio_pci_cap, offset), 4);
    uint32_t len = pci_read(p, cap + VIRTIO_OFF(struct virtio_pci_cap, length), 4);
    struct pci_bar bar;
    if (bar_no > 5 || pci_bar(p, bar_no, &bar) || bar.io || len == 0 ||
        (uint64_t)off + len > bar.size)
        return NULL;
    if (len_out)
        *len_out = len;
    return ioremap(bar.base + off, len);
}

int virtio_pci_modern_probe(struct pci_dev *p)
{
    unsigned caps[VIRTIO_PCI_CAP_DEVICE_CFG + 1] = {0};
    for (unsigned c = pci_find_cap(p, PCI_CAP_ID_VNDR, 0); c;
         c = pci_find_cap(p, PCI_CAP_ID_VNDR, c)) {
        uint8_t type = (uint8_t)pci_read(p, c + VIRTIO_OFF(struct virtio_pci_cap, cfg_type), 1);
        if (type <= VIRTIO_PCI_CAP_DEVICE_CFG && !caps[type])
            caps[type] = c; /* §4.1.4: the first of each type */
    }
    if (!caps[VIRTIO_PCI_CAP_COMMON_CFG])
        return -ENODEV;
    struct modern *m = kzalloc(sizeof(*m));
    struct virtio_device *d = kzalloc(sizeof(*d));
    if (!m || !d)
        return -ENOMEM;
    uint32_t common_len = 0;
    m->common = map_cap(p, caps[VIRTIO_PCI_CAP_COMMON_CFG], &common_len);
    if (caps[VIRTIO_PCI_CAP_NOTIFY_CFG]) {
        m->notify_base = map_cap(p, caps[VIRTIO_PCI_CAP_NOTIFY_CFG], NULL);
        m->notify_mult = pci_read(
            p, caps[VIRTIO_PCI_CAP_NOTIFY_CFG] + VIRTIO_OFF(struct virtio_pci_notify_cap,
                                                             notify_off_multiplier), 4);
    }
    if (caps[VIRTIO_PCI_CAP_ISR_CFG])
        m->isr = map_cap(p, caps[VIRTIO_PCI_CAP_ISR_CFG], NULL);
    if (caps[VIRTIO_PCI_CAP_DEVICE_CFG])
        m->device = map_cap(p, caps[VIRTIO_PCI_CAP_DEVICE_CFG], NULL);
    if (!m->common || common_len < sizeof(struct virtio_pci_common_cfg) || !m->notify_base ||
        !m->isr) {
        pr_warn("virtio-pci %02x:%02x.%u: modern capabilities unusable\n", p->bus, p->dev, p->fn);
        return -EINVAL;
    }
    d->ops = &modern_ops;
    d->transport = m;
    d->regs = (void *)m->common;
    return virtio_pci_add(p, d, virtio_pci_type(p));
}
