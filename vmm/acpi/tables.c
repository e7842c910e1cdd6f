/* RSDP, XSDT, FADT and MADT, and the whole set at its fixed addresses; see acpi.h.
 * ACPI 6.5 §5.2.5 (RSDP), §5.2.8 (XSDT), §5.2.9 (FADT), §5.2.12 (MADT); ACPI 6.4 §5.2.12.19
 * (Multiprocessor Wakeup structure). Field values follow Firecracker's acpi-tables crate. */
#include "vmm/acpi/acpi.h"

#include <errno.h>
#include <string.h>

#include "vmm/config.h"

_Static_assert(VCPUS_MAX < 255, "APIC ids of 255 and up need x2APIC MADT entries");

#define RSDP_REVISION 2
#define XSDT_REVISION 1
#define FADT_REVISION 6
#define FADT_MINOR_VERSION 5
#define MADT_REVISION 6
#define ACPI_GAS_ACCESS_BYTE 1

uint8_t acpi_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    while (len--)
        sum += *b++;
    return sum;
}

void acpi_header_fill(struct acpi_header *h, const char sig[4], uint32_t length,
                      uint8_t revision, const char oem_table_id[8])
{
    memcpy(h->signature, sig, 4);
    h->length = length;
    h->revision = revision;
    memcpy(h->oem_id, ACPI_OEM_ID, 6);
    memcpy(h->oem_table_id, oem_table_id, 8);
    h->oem_revision = 0;
    memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
    h->creator_revision = ACPI_CREATOR_REVISION;
    h->checksum = 0;
    h->checksum = (uint8_t)-acpi_checksum(h, length);
}

int acpi_rsdp_build(void *buf, size_t len, gpa_t xsdt)
{
    struct acpi_rsdp r;

    if (len < sizeof(r))
        return -ENOSPC;
    memset(&r, 0, sizeof(r));
    memcpy(r.signature, ACPI_RSDP_SIGNATURE, 8);
    memcpy(r.oem_id, ACPI_OEM_ID, 6);
    r.revision = RSDP_REVISION;
    r.length = sizeof(r);
    r.xsdt_address = xsdt;
    r.checksum = (uint8_t)-acpi_checksum(&r, 20);           /* the ACPI 1.0 part */
    r.extended_checksum = (uint8_t)-acpi_checksum(&r, sizeof(r));
    memcpy(buf, &r, sizeof(r));
    return (int)sizeof(r);
}

int acpi_xsdt_build(void *buf, size_t len, const gpa_t *tables, unsigned n)
{
    size_t size = sizeof(struct acpi_header) + (size_t)n * sizeof(uint64_t);
    uint8_t *p = buf;

    if (len < size)
        return -ENOSPC;
    memset(buf, 0, size);
    memcpy(p + sizeof(struct acpi_header), tables, (size_t)n * sizeof(uint64_t));
    acpi_header_fill(buf, "XSDT", (uint32_t)size, XSDT_REVISION, "FCMVXSDT"); /* sic, as FC */
    return (int)size;
}

static struct acpi_gas io_byte(uint16_t port)
{
    return (struct acpi_gas){ .space_id = ACPI_GAS_IO, .bit_width = 8, .bit_offset = 0,
                              .access_size = ACPI_GAS_ACCESS_BYTE, .address = port };
}

int acpi_fadt_build(void *buf, size_t len, gpa_t dsdt)
{
    struct acpi_fadt f;

    if (len < sizeof(f))
        return -ENOSPC;
    memset(&f, 0, sizeof(f));
    /* Hardware-reduced: no PM1/GPE blocks, no SCI, no SMI. No power or sleep button. */
    f.flags = ACPI_FADT_HW_REDUCED | ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON;
    /* No VGA, no MSI, no ASPM; and, as in Firecracker, neither LEGACY_DEVICES nor 8042: the
     * i8042 is announced by the DSDT's PNP0303 node instead. */
    f.iapc_boot_arch = ACPI_IAPC_VGA_NOT_PRESENT | ACPI_IAPC_MSI_NOT_PRESENT |
                       ACPI_IAPC_PCIE_ASPM_CONTROLS;
    f.minor_version = FADT_MINOR_VERSION;
    f.x_dsdt = dsdt;                 /* the 32-bit DSDT field stays 0, as §5.2.9 asks */
    f.sleep_control_reg = io_byte(ACPI_SLEEP_PORT);
    f.sleep_status_reg = io_byte(ACPI_SLEEP_PORT);
    memcpy(f.hypervisor_vendor_id, ACPI_HYPERVISOR_ID, 8);
    memcpy(buf, &f, sizeof(f));
    acpi_header_fill(buf, "FACP", sizeof(f), FADT_REVISION, "FCVMFADT");
    return (int)sizeof(f);
}

/* MADT Local APIC NMI structure (§5.2.12.7): NMI on LINT1 of every processor. */
struct madt_lapic_nmi {
    uint8_t type, length;   /* 4, 6 */
    uint8_t processor_uid;  /* 0xff: all */
    uint16_t flags;         /* 0: conforms to the bus */
    uint8_t lint;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT LAPIC NMI");

static size_t madt_size(unsigned vcpus)
{
    return sizeof(struct acpi_madt) + sizeof(struct acpi_madt_ioapic) +
           vcpus * sizeof(struct acpi_madt_lapic) + sizeof(struct madt_lapic_nmi) +
           sizeof(struct acpi_madt_mp_wakeup);
}

int acpi_madt_build(void *buf, size_t len, unsigned vcpus)
{
    size_t size = madt_size(vcpus);
    uint8_t *p = buf;

    if (vcpus < 1 || vcpus > VCPUS_MAX)
        return -EINVAL;
    if (len < size)
        return -ENOSPC;
    memset(buf, 0, size);
    struct acpi_madt m = { .lapic_address = (uint32_t)LAPIC_ADDR, .flags = 0 };
    memcpy(p, &m, sizeof(m));
    p += sizeof(m);

    /* Firecracker's order: the IOAPIC, then one Local APIC per vCPU (APIC id = index). The
     * IOAPIC id is vCPUs + 1, as in the MP table (Firecracker's MADT says 0). */
    struct acpi_madt_ioapic io = { .type = ACPI_MADT_IOAPIC, .length = sizeof(io),
                                   .id = (uint8_t)(vcpus + 1), .address = (uint32_t)IOAPIC_ADDR,
                                   .gsi_base = 0 };
    memcpy(p, &io, sizeof(io));
    p += sizeof(io);
    for (unsigned i = 0; i < vcpus; i++) {
        struct acpi_madt_lapic l = { .type = ACPI_MADT_LAPIC, .length = sizeof(l),
                                     .processor_uid = (uint8_t)i, .apic_id = (uint8_t)i,
                                     .flags = ACPI_MADT_ENABLED };
        memcpy(p, &l, sizeof(l));
        p += sizeof(l);
    }
    /* motevm's additions: LINT1 = NMI (what the MP table says and vcpu set-up programs) and
     * the Multiprocessor Wakeup mailbox. No interrupt source overrides: ISA IRQ n is GSI n,
     * edge, active high, as in Firecracker. */
    struct madt_lapic_nmi nmi = { .type = ACPI_MADT_LAPIC_NMI, .length = sizeof(nmi),
                                  .processor_uid = 0xff, .flags = 0, .lint = 1 };
    memcpy(p, &nmi, sizeof(nmi));
    p += sizeof(nmi);
    struct acpi_madt_mp_wakeup w = { .type = ACPI_MADT_MP_WAKEUP, .length = sizeof(w),
                                     .mailbox_version = 0,
                                     .mailbox_address = MP_WAKEUP_MAILBOX_ADDR };
    memcpy(p, &w, sizeof(w));
    acpi_header_fill(buf, "APIC", (uint32_t)size, MADT_REVISION, "FCVMMADT");
    return (int)size;
}

int acpi_build(void *area, size_t len, const struct acpi_config *c)
{
    uint8_t *a = area;
    int rc;

    if (len < ACPI_AREA_END - ACPI_RSDP_ADDR)
        return -ENOSPC;
#define SLOT(addr, next) (a + ((addr) - ACPI_RSDP_ADDR)), (size_t)((next) - (addr))
    if ((rc = acpi_dsdt_build(SLOT(ACPI_DSDT_ADDR, ACPI_AREA_END), c->mmio_devs,
                              c->n_mmio_devs)) < 0 ||
        (rc = acpi_madt_build(SLOT(ACPI_MADT_ADDR, ACPI_DSDT_ADDR), c->vcpus)) < 0 ||
        (rc = acpi_fadt_build(SLOT(ACPI_FADT_ADDR, ACPI_MADT_ADDR), ACPI_DSDT_ADDR)) < 0)
        return rc;
    const gpa_t tables[] = { ACPI_FADT_ADDR, ACPI_MADT_ADDR };
    if ((rc = acpi_xsdt_build(SLOT(ACPI_XSDT_ADDR, ACPI_FADT_ADDR), tables, 2)) < 0 ||
        (rc = acpi_rsdp_build(SLOT(ACPI_RSDP_ADDR, ACPI_XSDT_ADDR), ACPI_XSDT_ADDR)) < 0)
        return rc;
#undef SLOT
    return 0;
}
