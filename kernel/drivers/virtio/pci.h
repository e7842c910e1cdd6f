/* virtio over PCI (virtio 1.2 §4.1): the two transports' probes and the glue both share. */
#ifndef DRIVERS_VIRTIO_PCI_H
#define DRIVERS_VIRTIO_PCI_H

#include "mote/pci.h"
#include "mote/virtio.h"

/* Fills the PCI parts of a virtio_device (name, interrupt line) and adds it to the core. */
int virtio_pci_add(struct pci_dev *p, struct virtio_device *d, uint32_t type);
/* Device type from the PCI device ID: 0x1040 + type (modern), or the transitional IDs' subsystem
 * device ID (§4.1.2.1). 0 when unknown. */
uint32_t virtio_pci_type(struct pci_dev *p);

/* Returns -ENODEV when the function has no modern capabilities (then try legacy). */
int virtio_pci_modern_probe(struct pci_dev *p);
int virtio_pci_legacy_probe(struct pci_dev *p);

#endif
