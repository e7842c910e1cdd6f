/* PCI configuration mechanism 1 (PCI Local Bus 3.0 §3.2.2.3.2): the address to port 0xCF8, the
 * data through 0xCFC-0xCFF. Two port accesses (two exits under KVM) per register. */
#include "mote/pci.h"
#include "mote/x86.h"

#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc

static void select(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    outl(PCI_CONF_ADDR, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
}

uint32_t arch_pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned len)
{
    select(bus, dev, fn, off);
    uint16_t port = (uint16_t)(PCI_CONF_DATA + (off & 3));
    return len == 1 ? inb(port) : len == 2 ? inw(port) : inl(port);
}

void arch_pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v,
                    unsigned len)
{
    select(bus, dev, fn, off);
    uint16_t port = (uint16_t)(PCI_CONF_DATA + (off & 3));
    if (len == 1)
        outb(port, (uint8_t)v);
    else if (len == 2)
        outw(port, (uint16_t)v);
    else
        outl(port, v);
}
