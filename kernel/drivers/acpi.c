/* ACPI table parsing: RSDP, XSDT/RSDT, MADT (CPUs, IOAPICs, overrides, the MP wakeup mailbox),
 * FADT (power-off registers), and the \_S5_ object in the DSDT. ACPI 6.5 §5.2; checksums are
 * verified and every length is checked against what the reader can reach. Pure C. */
#include <errno.h>

#include "abi/acpi.h"
#include "common/mptable.h"
#include "drivers/acpi_dsdt.h"
#include "mote/platform.h"
#include "mote/string.h"

#define sum mp_checksum
/* Signatures are compared with __builtin_memcmp: a few inline instructions, not a call. */

static const struct acpi_rsdp *rsdp_at(uint64_t addr, phys_reader rd)
{
    const struct acpi_rsdp *r = rd(addr, sizeof(*r));
    if (!r || __builtin_memcmp(r->signature, ACPI_RSDP_SIGNATURE, 8) != 0 || sum(r, 20) != 0)
        return NULL;
    if (r->revision >= 2 && (r->length < sizeof(*r) || sum(r, sizeof(*r)) != 0))
        return NULL;
    return r;
}

static const struct acpi_rsdp *rsdp_find(uint64_t hint, bool scan_bios, phys_reader rd)
{
    if (hint)
        return rsdp_at(hint, rd);
    const struct acpi_rsdp *r = rsdp_at(0xe0000, rd); /* where Firecracker and motevm put it */
    if (r || !scan_bios)
        return r;
    /* §5.2.5.1: the first KiB of the EBDA, then 0xe0000-0xfffff, on 16-byte boundaries. */
    const uint16_t *ebda_seg = rd(0x40e, 2);
    if (ebda_seg && *ebda_seg) {
        uint64_t ebda = (uint64_t)*ebda_seg << 4;
        for (uint64_t a = ebda; a < ebda + 1024; a += 16)
            if ((r = rsdp_at(a, rd)))
                return r;
    }
    /* One mapping of the whole area, then one repne scasq per "RSD PTR " word (a loop would be
     * ~40 000 emulated instructions); the RSDP starts on a 16-byte boundary. */
    const uint64_t *area = rd(0xe0000, 0x20000), *end = area + 0x20000 / 8, *w = area;
    if (!area)
        return NULL;
    while (w < end && (w = memfind64(w, 0x2052545020445352ull /* "RSD PTR " */, end - w))) {
        if ((w - area) % 2 == 0 && (r = rsdp_at(0xe0000 + (uint64_t)(w - area) * 8, rd)))
            return r;
        w++;
    }
    return NULL;
}

/* A whole table at addr with the signature sig (NULL: any) and a valid checksum, or NULL. The
 * signature is compared first so that tables Mote does not use are never summed. */
static const struct acpi_header *table_at(uint64_t addr, const char *sig, phys_reader rd)
{
    const struct acpi_header *h = rd(addr, sizeof(*h));
    if (!h || h->length < sizeof(*h) || h->length > (1u << 20))
        return NULL;
    if (sig && __builtin_memcmp(h->signature, sig, 4) != 0)
        return NULL;
    h = rd(addr, h->length);
    if (!h || sum(h, h->length) != 0)
        return NULL;
    return h;
}

static void parse_madt(struct platform *p, const struct acpi_madt *m)
{
    p->lapic_addr = m->lapic_address;
    p->ncpus = 0;
    p->nioapics = 0;
    const uint8_t *e = (const uint8_t *)(m + 1), *end = (const uint8_t *)m + m->hdr.length;
    while (e + 2 <= end && e[1] >= 2 && e + e[1] <= end) {
        switch (e[0]) {
        case ACPI_MADT_LAPIC:
            if (e[1] >= sizeof(struct acpi_madt_lapic)) {
                const struct acpi_madt_lapic *l = (const void *)e;
                if ((l->flags & ACPI_MADT_ENABLED) && p->ncpus < MAX_CPUS)
                    p->apic_id[p->ncpus++] = l->apic_id;
            }
            break;
        case ACPI_MADT_X2APIC:
            if (e[1] >= sizeof(struct acpi_madt_x2apic)) {
                const struct acpi_madt_x2apic *x = (const void *)e;
                if ((x->flags & ACPI_MADT_ENABLED) && p->ncpus < MAX_CPUS)
                    p->apic_id[p->ncpus++] = x->x2apic_id;
            }
            break;
        case ACPI_MADT_IOAPIC:
            if (e[1] >= sizeof(struct acpi_madt_ioapic) && p->nioapics < MAX_IOAPICS) {
                const struct acpi_madt_ioapic *io = (const void *)e;
                p->ioapic[p->nioapics++] = (struct ioapic_desc){io->address, io->id, io->gsi_base};
            }
            break;
        case ACPI_MADT_ISO:
            if (e[1] >= sizeof(struct acpi_madt_iso)) {
                const struct acpi_madt_iso *o = (const void *)e;
                if (o->bus == 0 && o->source < ISA_IRQS) {
                    struct isa_route *r = &p->isa[o->source];
                    r->gsi = o->gsi;
                    /* MPS INTI flags: 0 = conforms to the bus (ISA: edge, high). */
                    r->active_low = (o->flags & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_LOW;
                    r->level = (o->flags & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_LEVEL;
                }
            }
            break;
        case ACPI_MADT_MP_WAKEUP:
            if (e[1] >= sizeof(struct acpi_madt_mp_wakeup)) {
                const struct acpi_madt_mp_wakeup *w = (const void *)e;
                if ((w->mailbox_address & 0xfff) == 0)
                    p->mp_wakeup_mailbox = w->mailbox_address;
            }
            break;
        default:
            break;
        }
        e += e[1];
    }
}

int acpi_read_fadt(struct platform *p, phys_reader rd)
{
    const struct acpi_header *f = p->fadt ? table_at(p->fadt, "FACP", rd) : NULL;
    if (!f || f->length < ACPI_FADT_DSDT + 4)
        return -ENOENT;
    const uint8_t *b = (const uint8_t *)f;
    uint32_t dsdt32, pm1a, pm1b, flags = 0;
    memcpy(&dsdt32, b + ACPI_FADT_DSDT, 4);
    p->dsdt = dsdt32;
    if (f->length >= ACPI_FADT_FLAGS + 4) {
        memcpy(&pm1a, b + ACPI_FADT_PM1A_CNT_BLK, 4);
        memcpy(&pm1b, b + ACPI_FADT_PM1B_CNT_BLK, 4);
        memcpy(&flags, b + ACPI_FADT_FLAGS, 4);
        p->pm1a_cnt = pm1a <= 0xffff ? (uint16_t)pm1a : 0;
        p->pm1b_cnt = pm1b <= 0xffff ? (uint16_t)pm1b : 0;
    }
    p->hw_reduced = flags & ACPI_FADT_HW_REDUCED;
    if (f->length >= ACPI_FADT_X_DSDT + 8) {
        uint64_t x;
        memcpy(&x, b + ACPI_FADT_X_DSDT, 8);
        if (x)
            p->dsdt = x;
    }
    if (f->length >= ACPI_FADT_SLEEP_CONTROL_REG + sizeof(struct acpi_gas))
        memcpy(&p->sleep_ctl, b + ACPI_FADT_SLEEP_CONTROL_REG, sizeof(p->sleep_ctl));
    return 0;
}

int acpi_parse(struct platform *p, uint64_t hint, bool scan_bios, phys_reader rd)
{
    const struct acpi_rsdp *r = rsdp_find(hint, scan_bios, rd);
    if (!r)
        return -ENOENT;
    bool x = r->revision >= 2 && r->xsdt_address;
    const struct acpi_header *root =
        table_at(x ? r->xsdt_address : r->rsdt_address, x ? "XSDT" : "RSDT", rd);
    if (!root)
        return -EINVAL;

    unsigned width = x ? 8 : 4;
    unsigned n = (root->length - sizeof(*root)) / width;
    const uint8_t *ptrs = (const uint8_t *)(root + 1);
    bool have_madt = false;
    for (unsigned i = 0; i < n; i++) {
        uint64_t addr = 0;
        memcpy(&addr, ptrs + i * width, width);
        const struct acpi_header *h = rd(addr, sizeof(*h));
        if (!h)
            continue;
        if (__builtin_memcmp(h->signature, "APIC", 4) == 0) {
            const struct acpi_header *t = table_at(addr, "APIC", rd);
            if (t && t->length >= sizeof(struct acpi_madt)) {
                parse_madt(p, (const struct acpi_madt *)t);
                have_madt = true;
            } /* a broken table is skipped, not trusted */
        } else if (__builtin_memcmp(h->signature, "FACP", 4) == 0) {
            p->fadt = addr; /* read when powering off (acpi_read_fadt) */
        }
    }
    if (!have_madt || p->ncpus == 0)
        return -EINVAL;
    p->source = "ACPI";
    return 0;
}

/* The DSDT the FADT names (X_DSDT over DSDT), signature and length checked, or NULL. Its checksum
 * is not summed here: the boot reads it only to look for virtio-mmio devices, and sums it (and the
 * FADT) only when it adds some. */
static const struct acpi_header *dsdt_of(uint64_t fadt, phys_reader rd)
{
    const struct acpi_header *f = fadt ? rd(fadt, sizeof(*f)) : NULL;
    if (!f || __builtin_memcmp(f->signature, "FACP", 4) != 0 || f->length < ACPI_FADT_DSDT + 4)
        return NULL;
    uint32_t len = f->length < ACPI_FADT_X_DSDT + 8 ? f->length : ACPI_FADT_X_DSDT + 8;
    const uint8_t *b = rd(fadt, len); /* the fields up to X_DSDT, not the whole table */
    if (!b)
        return NULL;
    uint32_t dsdt32;
    uint64_t dsdt = 0;
    memcpy(&dsdt32, b + ACPI_FADT_DSDT, 4);
    if (len >= ACPI_FADT_X_DSDT + 8)
        memcpy(&dsdt, b + ACPI_FADT_X_DSDT, 8);
    if (!dsdt)
        dsdt = dsdt32;
    const struct acpi_header *h = dsdt ? rd(dsdt, sizeof(*h)) : NULL;
    if (!h || __builtin_memcmp(h->signature, "DSDT", 4) != 0 || h->length < sizeof(*h) ||
        h->length > (1u << 20))
        return NULL;
    return rd(dsdt, h->length);
}

int acpi_virtio_mmio(const struct platform *p, phys_reader rd, const uint64_t *known,
                     unsigned nknown, struct virtio_mmio_param *out, unsigned max)
{
    const struct acpi_header *t = dsdt_of(p->fadt, rd);
    if (!t)
        return 0;
    unsigned n = acpi_dsdt_virtio_mmio((const uint8_t *)(t + 1), t->length - sizeof(*t), out, max);
    unsigned kept = 0;
    for (unsigned i = 0; i < n; i++) {
        bool dup = false;
        for (unsigned k = 0; k < nknown && !dup; k++)
            dup = known[k] == out[i].base;
        if (!dup)
            out[kept++] = out[i];
    }
    if (kept && (sum(t, t->length) != 0 || !table_at(p->fadt, "FACP", rd)))
        return -EINVAL; /* devices in a table that fails its checksum: not trusted */
    return (int)kept;
}

/* AML (ACPI 6.5 §20): NameOp "_S5_" PackageOp PkgLength NumElements, then the first element
 * as a BytePrefix constant, ZeroOp or OneOp. */
int acpi_s5_type(uint64_t dsdt, phys_reader rd)
{
    const struct acpi_header *t = dsdt ? table_at(dsdt, "DSDT", rd) : NULL;
    if (!t)
        return -ENOENT;
    const uint8_t *a = (const uint8_t *)t, *end = a + t->length;
    for (const uint8_t *s = a + sizeof(*t); s + 8 < end; s++) {
        if (s[0] != '_' || s[1] != 'S' || s[2] != '5' || s[3] != '_')
            continue;
        if (s[-1] != 0x08 && !(s[-1] == '\\' && s[-2] == 0x08))
            continue; /* not a NameOp */
        const uint8_t *q = s + 4;
        if (*q++ != 0x12) /* PackageOp */
            continue;
        q += (*q >> 6) + 1; /* PkgLength: lead byte plus 0-3 following bytes */
        q++;                 /* NumElements */
        if (q + 2 > end)
            return -ENOENT;
        if (q[0] == 0x0a)
            return q[1];
        if (q[0] == 0x00 || q[0] == 0x01)
            return q[0];
        return -ENOENT;
    }
    return -ENOENT;
}
