/* PCI: enumeration of bus 0 and the buses behind bridges through the arch's configuration
 * access (x86: mechanism 1, ports 0xCF8/0xCFC), BARs sized on demand, capabilities, and the
 * PCI driver table. Every configuration access costs exits under KVM: only what a driver needs
 * is read. PCI Local Bus 3.0 §6 (configuration space), PCI-to-PCI Bridge 1.2 §3.2. */
#ifndef MOTE_PCI_H
#define MOTE_PCI_H

#include "mote/types.h"

#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_HEADER_MULTI 0x80
#define PCI_HEADER_BRIDGE 0x01
#define PCI_VENDOR_NONE 0xffff

struct pci_bar {
    paddr_t base; /* memory address, or I/O port */
    uint64_t size;
    bool io, sized;
};

struct pci_dev {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    struct pci_bar bars[6];
};

/* The arch's configuration access (x86: mechanism 1). off is the register offset; len 1, 2, 4. */
uint32_t arch_pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned len);
void arch_pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v,
                    unsigned len);

static inline uint32_t pci_read(const struct pci_dev *p, unsigned off, unsigned len)
{
    return arch_pci_read(p->bus, p->dev, p->fn, off, len);
}
static inline void pci_write(const struct pci_dev *p, unsigned off, uint32_t v, unsigned len)
{
    arch_pci_write(p->bus, p->dev, p->fn, off, v, len);
}

/* BAR i's address and kind, as the firmware assigned it: one or two configuration reads.
 * Returns 0, or -ENODEV when the BAR is unassigned. */
int pci_bar_base(struct pci_dev *p, unsigned i, paddr_t *base, bool *io);
/* BAR i with its size: sizing (all-ones probe, decoding off meanwhile) costs ten or more
 * configuration accesses, so drivers ask only when they need the size. Returns 0, or -ENODEV
 * when the BAR is unimplemented or unassigned. */
int pci_bar(struct pci_dev *p, unsigned i, struct pci_bar *out);
/* Sets the command register's IO, MEMORY and bus-master bits. */
void pci_enable(struct pci_dev *p);
/* Offset of the first capability with this id from config offset `from` (0: the list's start),
 * 0 when none. */
unsigned pci_find_cap(const struct pci_dev *p, uint8_t id, unsigned from);

struct pci_driver {
    const char *name;
    bool (*match)(const struct pci_dev *p);
    int (*probe)(struct pci_dev *p);
};

/* The driver table (drivers/drivers.c). */
extern const struct pci_driver *const pci_drivers[];

/* Scans bus 0 and every bus behind a bridge. Returns the number of functions found (0 when there
 * is no host bridge: then only two port accesses were spent). */
unsigned pci_enumerate(void);
/* Runs the matching driver's probe on each function found. Returns how many were probed. */
unsigned pci_probe_all(void);

#endif
