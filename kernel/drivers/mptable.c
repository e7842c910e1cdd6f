/* Intel MP table parsing (MP spec 1.4 §4): the floating pointer is searched in the first KiB of
 * the EBDA, the last KiB of base memory (where Firecracker and motevm put it), the BIOS ROM area,
 * and, as Linux does, the first KiB of memory (QEMU microvm's firmware puts it there); both
 * checksums are verified. Pure C. */
#include <errno.h>

#include "abi/mptable.h"
#include "common/mptable.h"
#include "mote/platform.h"
#include "mote/string.h"

static const struct mpf_intel *mpf_scan(uint64_t start, uint64_t len, phys_reader rd)
{
    /* One mapping of the area, then one repne scasl per "_MP_" word; the structure starts on a
     * 16-byte boundary. */
    const uint32_t *area = rd(start, len), *end = area + len / 4, *w = area;
    if (!area)
        return NULL;
    while (w < end && (w = memfind32(w, 0x5f504d5f /* "_MP_" */, end - w))) {
        const struct mpf_intel *f = (const void *)w;
        if ((w - area) % 4 == 0 && w + 4 <= end && f->length == 1 && mp_checksum(f, 16) == 0)
            return f;
        w++;
    }
    return NULL;
}

static const struct mpf_intel *mpf_find(phys_reader rd)
{
    const uint16_t *ebda_seg = rd(0x40e, 2), *base_kib = rd(0x413, 2);
    const struct mpf_intel *f = NULL;
    if (ebda_seg && *ebda_seg)
        f = mpf_scan((uint64_t)*ebda_seg << 4, 1024, rd);
    if (!f) {
        uint64_t top = base_kib && *base_kib >= 512 && *base_kib <= 640 ? *base_kib * 1024ull
                                                                         : 640 * 1024ull;
        f = mpf_scan(top - 1024, 1024, rd);
    }
    if (!f)
        f = mpf_scan(0xf0000, 0x10000, rd);
    if (!f)
        f = mpf_scan(0, 1024, rd);
    return f;
}

int mptable_parse(struct platform *p, phys_reader rd)
{
    const struct mpf_intel *f = mpf_find(rd);
    if (!f)
        return -ENOENT;
    if (f->feature1 != 0 || !f->physptr)
        return -EINVAL; /* a default configuration: not produced by virtual machines */
    const struct mpc_table *t = rd(f->physptr, sizeof(*t));
    if (!t || memcmp(t->signature, MPC_SIGNATURE, 4) != 0 || t->length < sizeof(*t))
        return -EINVAL;
    t = rd(f->physptr, t->length);
    if (!t || mp_checksum(t, t->length) != 0)
        return -EINVAL;

    p->lapic_addr = t->lapic;
    p->ncpus = 0;
    p->nioapics = 0;
    const uint8_t *e = (const uint8_t *)(t + 1), *end = (const uint8_t *)t + t->length;
    int isa_bus = -1;
    /* Entries are walked by the table's length, as Linux does: some firmware (QEMU microvm's
     * qboot) leaves the entry count at 0. */
    while (e < end) {
        size_t size = e[0] == MP_PROCESSOR ? sizeof(struct mpc_cpu) : 8;
        if (e + size > end || e[0] > MP_LINTSRC)
            return -EINVAL;
        switch (e[0]) {
        case MP_PROCESSOR: {
            const struct mpc_cpu *c = (const void *)e;
            if ((c->cpuflag & CPU_ENABLED) && p->ncpus < MAX_CPUS) {
                /* The boot processor first, as the ACPI path orders it. */
                if (c->cpuflag & CPU_BOOTPROCESSOR) {
                    memmove(&p->apic_id[1], &p->apic_id[0], p->ncpus * sizeof(p->apic_id[0]));
                    p->apic_id[0] = c->apicid;
                } else {
                    p->apic_id[p->ncpus] = c->apicid;
                }
                p->ncpus++;
            }
            break;
        }
        case MP_BUS: {
            const struct mpc_bus *b = (const void *)e;
            if (memcmp(b->bustype, "ISA", 3) == 0)
                isa_bus = b->busid;
            break;
        }
        case MP_IOAPIC: {
            const struct mpc_ioapic *io = (const void *)e;
            if ((io->flags & MPC_APIC_USABLE) && p->nioapics < MAX_IOAPICS) {
                /* GSIs: consecutive IOAPICs in table order, 24 inputs each. */
                p->ioapic[p->nioapics] = (struct ioapic_desc){io->apicaddr, io->apicid,
                                                              p->nioapics * 24};
                p->nioapics++;
            }
            break;
        }
        case MP_INTSRC: {
            const struct mpc_intsrc *s = (const void *)e;
            if (s->irqtype == MP_INT && s->srcbus == isa_bus && s->srcbusirq < ISA_IRQS) {
                struct isa_route *r = &p->isa[s->srcbusirq];
                unsigned gsi_base = 0;
                for (unsigned k = 0; k < p->nioapics; k++)
                    if (p->ioapic[k].id == s->dstapic)
                        gsi_base = p->ioapic[k].gsi_base;
                r->gsi = gsi_base + s->dstirq;
                r->active_low = (s->irqflag & 3) == 3;
                r->level = (s->irqflag & 0xc) == 0xc;
            }
            break;
        }
        default:
            break;
        }
        e += size;
    }
    if (p->ncpus == 0)
        return -EINVAL;
    p->source = "MP table";
    return 0;
}
