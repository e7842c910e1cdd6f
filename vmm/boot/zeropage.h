/* The Linux boot protocol's zero page (struct boot_params) and the e820 map that both the Linux
 * and the PVH boot hand over. Pure functions over caller buffers. */
#ifndef VMM_BOOT_ZEROPAGE_H
#define VMM_BOOT_ZEROPAGE_H

#include <stdint.h>

#include "abi/bootparam.h"
#include "vmm/boot/layout.h"

/* The guest's memory map for ram_size bytes of RAM (layout.h):
 *   RAM      [0, 0x9fc00)
 *   reserved [0x9fc00, 1 MiB)           MP table, legacy BIOS area
 *   RAM      [1 MiB, min(RAM, 0xd0000000))
 *   RAM      [4 GiB, 4 GiB + RAM - 0xd0000000)   only when RAM reaches the MMIO gap
 * Returns the number of entries written (at most 4 <= max). */
unsigned e820_build(struct e820_entry *e, unsigned max, uint64_t ram_size);

struct zeropage_args {
    uint64_t ram_size;
    uint32_t cmdline_size;      /* strlen + 1 */
    gpa_t initrd_addr;          /* 0 when there is none */
    uint64_t initrd_size;
    gpa_t rsdp;                 /* acpi_rsdp_addr; 0 without ACPI */
};

/* Fills bp (zeroed first) as Firecracker does: boot_flag, "HdrS", loader 0xff, command line
 * pointer and size, kernel_alignment, initrd, e820. */
void zeropage_build(struct boot_params *bp, const struct zeropage_args *a);

#endif
