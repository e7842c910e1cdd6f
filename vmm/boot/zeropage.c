/* Zero page and e820; see zeropage.h. Linux Documentation/arch/x86/boot.rst and zero-page.rst. */
#include "vmm/boot/zeropage.h"

#include <string.h>

#include "vmm/mem.h"

#define KERNEL_ALIGNMENT 0x01000000u

static unsigned add(struct e820_entry *e, unsigned n, unsigned max, uint64_t addr,
                    uint64_t size, uint32_t type)
{
    if (n < max && size)
        e[n++] = (struct e820_entry){ addr, size, type };
    return n;
}

unsigned e820_build(struct e820_entry *e, unsigned max, uint64_t ram_size)
{
    uint64_t low = mem_low_size(ram_size);
    unsigned n = 0;

    n = add(e, n, max, 0, EBDA_START, E820_RAM);
    n = add(e, n, max, EBDA_START, HIMEM_START - EBDA_START, E820_RESERVED);
    if (low > HIMEM_START)
        n = add(e, n, max, HIMEM_START, low - HIMEM_START, E820_RAM);
    n = add(e, n, max, MMIO_GAP_END, mem_high_size(ram_size), E820_RAM);
    return n;
}

void zeropage_build(struct boot_params *bp, const struct zeropage_args *a)
{
    memset(bp, 0, sizeof(*bp));
    bp->hdr.boot_flag = BOOT_FLAG_MAGIC;
    bp->hdr.header = BOOT_HDRS_MAGIC;
    bp->hdr.type_of_loader = BOOT_LOADER_UNDEFINED;
    bp->hdr.kernel_alignment = KERNEL_ALIGNMENT;
    bp->hdr.cmd_line_ptr = (uint32_t)CMDLINE_ADDR;
    bp->hdr.cmdline_size = a->cmdline_size;
    if (a->initrd_size) {
        bp->hdr.ramdisk_image = (uint32_t)a->initrd_addr;
        bp->hdr.ramdisk_size = (uint32_t)a->initrd_size;
        bp->ext_ramdisk_image = (uint32_t)(a->initrd_addr >> 32);
        bp->ext_ramdisk_size = (uint32_t)(a->initrd_size >> 32);
    }
    bp->acpi_rsdp_addr = a->rsdp;
    bp->e820_entries = e820_build(bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE, a->ram_size);
}
