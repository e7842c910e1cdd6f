/* The legacy virtio PCI transport (virtio 1.2 §4.1.4.8, 0.9.5): registers in I/O BAR 0, 32
 * feature bits, queue size fixed by the device, the queue's page frame number. Each register
 * access is one port access (one exit). */
#include <errno.h>

#include "drivers/virtio/pci.h"
#include "mote/io.h"
#include "mote/mm.h"
#include "mote/printk.h"

static inline uint16_t port(struct virtio_device *d, unsigned reg)
{
    return (uint16_t)((uintptr_t)d->regs + reg);
}

static uint64_t leg_get_features(struct virtio_device *d)
{
    return inl(port(d, VIRTIO_PCI_LEGACY_DEVICE_FEATURES));
}

static void leg_set_features(struct virtio_device *d, uint64_t f)
{
    outl(port(d, VIRTIO_PCI_LEGACY_GUEST_FEATURES), (uint32_t)f);
}

static uint8_t leg_get_status(struct virtio_device *d)
{
    return inb(port(d, VIRTIO_PCI_LEGACY_STATUS));
}

static void leg_set_status(struct virtio_device *d, uint8_t s)
{
    outb(port(d, VIRTIO_PCI_LEGACY_STATUS), s);
}

static void leg_reset(struct virtio_device *d)
{
    outb(port(d, VIRTIO_PCI_LEGACY_STATUS), 0);
    while (inb(port(d, VIRTIO_PCI_LEGACY_STATUS)))
        ;
}

static uint32_t leg_generation(struct virtio_device *d)
{
    return 0;
}

/* Config space follows the registers at 0x14: MSI-X is never enabled here. */
static uint32_t leg_config_read(struct virtio_device *d, unsigned off, unsigned len)
{
    uint16_t a = port(d, VIRTIO_PCI_LEGACY_CONFIG + off);
    return len == 1 ? inb(a) : len == 2 ? inw(a) : inl(a);
}

static void leg_config_write(struct virtio_device *d, unsigned off, uint32_t v, unsigned len)
{
    uint16_t a = port(d, VIRTIO_PCI_LEGACY_CONFIG + off);
    if (len == 1)
        outb(a, (uint8_t)v);
    else if (len == 2)
        outw(a, (uint16_t)v);
    else
        outl(a, v);
}

static unsigned leg_queue_max(struct virtio_device *d, unsigned index)
{
    outw(port(d, VIRTIO_PCI_LEGACY_QUEUE_SEL), (uint16_t)index);
    if (inl(port(d, VIRTIO_PCI_LEGACY_QUEUE_PFN)))
        return 0; /* already in use */
    return inw(port(d, VIRTIO_PCI_LEGACY_QUEUE_SIZE));
}

static int leg_queue_setup(struct virtio_device *d, struct vq *q)
{
    if (q->desc_pa >> (32 + PAGE_SHIFT))
        return -EINVAL; /* the PFN register has 32 bits */
    outw(port(d, VIRTIO_PCI_LEGACY_QUEUE_SEL), q->index);
    outl(port(d, VIRTIO_PCI_LEGACY_QUEUE_PFN), (uint32_t)(q->desc_pa >> PAGE_SHIFT));
    return 0;
}

static void leg_notify(struct virtio_device *d, struct vq *q)
{
    outw(port(d, VIRTIO_PCI_LEGACY_QUEUE_NOTIFY), q->index);
}

static uint32_t leg_isr(struct virtio_device *d)
{
    return inb(port(d, VIRTIO_PCI_LEGACY_ISR)); /* reading clears it */
}

static const struct virtio_transport_ops legacy_ops = {
    .get_features = leg_get_features,
    .set_features = leg_set_features,
    .get_status = leg_get_status,
    .set_status = leg_set_status,
    .reset = leg_reset,
    .config_generation = leg_generation,
    .config_read = leg_config_read,
    .config_write = leg_config_write,
    .queue_max = leg_queue_max,
    .queue_setup = leg_queue_setup,
    .notify = leg_notify,
    .isr = leg_isr,
};

int virtio_pci_legacy_probe(struct pci_dev *p)
{
    /* An I/O BAR: its base is all we need (sizing it would cost eight more exits). */
    uint32_t bar0 = pci_read(p, PCI_BAR0, 4);
    if (!(bar0 & 1) || (bar0 & ~3u) == 0)
        return -ENODEV;
    uint32_t type = virtio_pci_type(p);
    struct virtio_device *d = kzalloc(sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->ops = &legacy_ops;
    d->regs = (void *)(uintptr_t)(bar0 & ~3u);
    d->flags = VIRTIO_TRANSPORT_LEGACY | VIRTIO_TRANSPORT_FIXED_QSIZE;
    return virtio_pci_add(p, d, type);
}
