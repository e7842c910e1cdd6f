/* PCI enumeration and the pieces drivers use (see mote/pci.h). The firmware (SeaBIOS under QEMU)
 * has assigned BARs and interrupt lines; we read them, we do not reassign. */
#include <errno.h>

#include "mote/pci.h"
#include "mote/printk.h"

#define MAX_FUNCS 64
#define MAX_BUSES 32

static struct pci_dev funcs[MAX_FUNCS];
static unsigned nfuncs;

static void add_function(unsigned bus, unsigned dev, unsigned fn, uint32_t id)
{
    if (nfuncs == MAX_FUNCS) {
        pr_warn("pci: more than %d functions, %02x:%02x.%u ignored\n", MAX_FUNCS, bus, dev, fn);
        return;
    }
    struct pci_dev *p = &funcs[nfuncs++];
    p->bus = (uint8_t)bus;
    p->dev = (uint8_t)dev;
    p->fn = (uint8_t)fn;
    p->vendor = (uint16_t)id;
    p->device = (uint16_t)(id >> 16);
}

unsigned pci_enumerate(void)
{
    /* No host bridge at 00:00.0 means no PCI at all (microvm, motevm): two port accesses. */
    if ((uint16_t)arch_pci_read(0, 0, 0, PCI_VENDOR_ID, 4) == PCI_VENDOR_NONE)
        return 0;
    uint8_t buses[MAX_BUSES] = {0};
    unsigned nbuses = 1;
    for (unsigned b = 0; b < nbuses; b++) {
        unsigned bus = buses[b];
        for (unsigned dev = 0; dev < 32; dev++) {
            for (unsigned fn = 0; fn < 8; fn++) {
                uint32_t id = arch_pci_read(bus, dev, fn, PCI_VENDOR_ID, 4);
                if ((uint16_t)id == PCI_VENDOR_NONE) {
                    if (fn == 0)
                        break; /* no device: functions 1-7 cannot exist either */
                    continue;
                }
                uint8_t hdr = (uint8_t)arch_pci_read(bus, dev, fn, PCI_HEADER_TYPE, 1);
                add_function(bus, dev, fn, id);
                if ((hdr & 0x7f) == PCI_HEADER_BRIDGE) {
                    unsigned sec = arch_pci_read(bus, dev, fn, PCI_SECONDARY_BUS, 1);
                    if (sec > bus && nbuses < MAX_BUSES)
                        buses[nbuses++] = (uint8_t)sec;
                }
                if (fn == 0 && !(hdr & PCI_HEADER_MULTI))
                    break;
            }
        }
    }
    return nfuncs;
}

unsigned pci_probe_all(void)
{
    unsigned probed = 0;
    for (unsigned i = 0; i < nfuncs; i++) {
        struct pci_dev *p = &funcs[i];
        for (unsigned k = 0; pci_drivers[k]; k++) {
            if (!pci_drivers[k]->match(p))
                continue;
            int rc = pci_drivers[k]->probe(p);
            if (rc)
                pr_warn("pci %02x:%02x.%u: %s: probe failed (%d)\n", p->bus, p->dev, p->fn,
                        pci_drivers[k]->name, rc);
            else
                probed++;
            break;
        }
    }
    return probed;
}

int pci_bar_base(struct pci_dev *p, unsigned i, paddr_t *base, bool *io)
{
    if (i >= 6)
        return -EINVAL;
    struct pci_bar *b = &p->bars[i];
    if (!b->sized && !b->base) {
        uint32_t lo = pci_read(p, PCI_BAR0 + 4 * i, 4);
        b->io = lo & 1;
        b->base = lo & (b->io ? ~3u : ~0xfu);
        if (!b->io && (lo & 6) == 4 && i < 5)
            b->base |= (uint64_t)pci_read(p, PCI_BAR0 + 4 * i + 4, 4) << 32;
    }
    if (!b->base)
        return -ENODEV;
    *base = b->base;
    *io = b->io;
    return 0;
}

int pci_bar(struct pci_dev *p, unsigned i, struct pci_bar *out)
{
    if (i >= 6)
        return -EINVAL;
    struct pci_bar *b = &p->bars[i];
    if (!b->sized) {
        unsigned off = PCI_BAR0 + 4 * i;
        uint32_t lo = pci_read(p, off, 4);
        uint16_t cmd = (uint16_t)pci_read(p, PCI_COMMAND, 2);
        /* Size with decoding off, so the all-ones probe address decodes nowhere. */
        pci_write(p, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY), 2);
        pci_write(p, off, 0xffffffff, 4);
        uint32_t mask = pci_read(p, off, 4);
        pci_write(p, off, lo, 4);
        if (lo & 1) {
            b->io = true;
            b->base = lo & ~3u;
            b->size = mask & ~3u ? (uint16_t)(~(mask & ~3u) + 1) : 0;
        } else {
            uint64_t m = mask & ~0xfull;
            b->base = lo & ~0xfull;
            if ((lo & 6) == 4 && i < 5) { /* 64-bit: the next BAR holds the high half */
                uint32_t hi = pci_read(p, off + 4, 4);
                pci_write(p, off + 4, 0xffffffff, 4);
                m |= (uint64_t)pci_read(p, off + 4, 4) << 32;
                pci_write(p, off + 4, hi, 4);
                b->base |= (uint64_t)hi << 32;
            } else if (m) {
                m |= 0xffffffff00000000ull;
            }
            b->size = m ? ~m + 1 : 0;
        }
        pci_write(p, PCI_COMMAND, cmd, 2);
        b->sized = true;
    }
    if (b->size == 0 || b->base == 0)
        return -ENODEV;
    *out = *b;
    return 0;
}

void pci_enable(struct pci_dev *p)
{
    uint16_t cmd = (uint16_t)pci_read(p, PCI_COMMAND, 2);
    uint16_t want = cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (want != cmd)
        pci_write(p, PCI_COMMAND, want, 2);
}

unsigned pci_find_cap(const struct pci_dev *p, uint8_t id, unsigned from)
{
    unsigned off;
    if (from == 0) {
        if (!(pci_read(p, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
            return 0;
        off = pci_read(p, PCI_CAP_PTR, 1);
    } else {
        off = pci_read(p, from + 1, 1);
    }
    for (int guard = 0; off >= 0x40 && guard < 48; guard++) {
        uint32_t w = pci_read(p, off & ~3u, 4);
        if ((uint8_t)w == id)
            return off & ~3u;
        off = (w >> 8) & 0xff;
    }
    return 0;
}
