/* The PCI driver for virtio functions (vendor 0x1af4, devices 0x1000-0x107f): the modern
 * interface when the function has its capabilities, else the legacy I/O BAR (virtio 1.2 §4.1.2,
 * §4.1.5). Linux makes the same choice. */
#include <errno.h>

#include "drivers/virtio/pci.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"

uint32_t virtio_pci_type(struct pci_dev *p)
{
    if (p->device >= VIRTIO_PCI_MODERN_DEVICE_BASE)
        return p->device - VIRTIO_PCI_MODERN_DEVICE_BASE;
    return pci_read(p, PCI_SUBSYSTEM_ID, 2);
}

int virtio_pci_add(struct pci_dev *p, struct virtio_device *d, uint32_t type)
{
    d->id = type;
    d->gsi = pci_read(p, PCI_INTERRUPT_LINE, 1);
    d->irq_level = true; /* INTx: level, active low */
    d->irq_active_low = true;
    /* "virtio-pci.modern 00:04.0", without snprintf's cost */
    char *n = str_put(d->name, d->flags & VIRTIO_TRANSPORT_LEGACY ? "virtio-pci.legacy "
                                                                  : "virtio-pci.modern ");
    n = str_put_hex(n, p->bus, 2);
    *n++ = ':';
    n = str_put_hex(n, p->dev, 2);
    *n++ = '.';
    str_put_hex(n, p->fn, 1);
    pci_enable(p);
    return virtio_add_device(d);
}

static bool match(const struct pci_dev *p)
{
    return p->vendor == VIRTIO_PCI_VENDOR && p->device >= VIRTIO_PCI_LEGACY_DEVICE_BASE &&
           p->device < VIRTIO_PCI_MODERN_DEVICE_BASE + 0x40;
}

static int probe(struct pci_dev *p)
{
    int rc = virtio_pci_modern_probe(p);
    if (rc == -ENODEV && p->device < VIRTIO_PCI_MODERN_DEVICE_BASE)
        rc = virtio_pci_legacy_probe(p);
    return rc;
}

const struct pci_driver virtio_pci_driver = {
    .name = "virtio-pci",
    .match = match,
    .probe = probe,
};
