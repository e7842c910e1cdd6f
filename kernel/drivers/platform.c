/* The machine description: ACPI preferred when present (and not --noacpi), the MP table else,
 * one CPU as the last resort (DESIGN.md boot step 4). */
#include <errno.h>

#include "mote/layout.h"
#include "mote/mm.h"
#include "mote/platform.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/x86.h"


struct platform platform;

void platform_init(const struct boot_info *bi, bool noacpi)
{
    platform_defaults(&platform);
    int rc = -ENOENT;
    if (!noacpi) {
        /* Linux-boot loaders that have ACPI say where (acpi_rsdp_addr); scanning the 128 KiB
         * BIOS area costs ~40 000 emulated instructions under PVM, so it is done only for
         * PVH loaders (QEMU's firmware leaves the RSDP there). */
        rc = acpi_parse(&platform, bi->rsdp, bi->protocol == BOOT_PVH, phys_read_low);
        if (rc == -EINVAL)
            pr_warn("acpi: tables are broken; trying the MP table\n");
        if (rc)
            platform_defaults(&platform);
    }
    if (rc) {
        rc = mptable_parse(&platform, phys_read_low);
        if (rc == -EINVAL)
            pr_warn("mptable: table is broken; assuming one CPU\n");
        if (rc)
            platform_defaults(&platform);
    }
    pr_info("platform: %u CPU(s) from %s, %u IOAPIC(s)%s\n", platform.ncpus, platform.source,
            platform.nioapics, platform.mp_wakeup_mailbox ? ", MP wakeup mailbox" : "");
}

/* ACPI S5 (ACPI 6.5 §7.4.2.5, §16.1.7): SLP_TYP from \_S5_ with SLP_EN, written to the
 * hardware-reduced sleep control register or to PM1a/PM1b control. Returns only on failure. */
void platform_acpi_poweroff(void)
{
    if (strcmp(platform.source, "ACPI") != 0 || acpi_read_fadt(&platform, phys_read_low))
        return;
    int typ = acpi_s5_type(platform.dsdt, phys_read_low);
    if (typ < 0)
        typ = platform.hw_reduced ? 5 : 0; /* the common values when the DSDT says nothing */
    const struct acpi_gas *g = &platform.sleep_ctl;
    if (platform.hw_reduced && g->address) {
        uint8_t v = (uint8_t)((typ & 7) << ACPI_SLEEP_CTL_SLP_TYP_SHIFT) | ACPI_SLEEP_CTL_SLP_EN;
        if (g->space_id == ACPI_GAS_IO && g->address <= 0xffff) {
            outb((uint16_t)g->address, v);
        } else if (g->space_id == ACPI_GAS_MEMORY) {
            volatile uint8_t *r = ioremap(g->address, 1);
            if (r)
                *r = v;
        }
        return;
    }
    uint16_t v = (uint16_t)((typ & 7) << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN;
    if (platform.pm1a_cnt)
        outw(platform.pm1a_cnt, v);
    if (platform.pm1b_cnt)
        outw(platform.pm1b_cnt, v);
}
