/* The PVH start_info block (Xen public/arch-x86/hvm/start_info.h, version 1): written at
 * PVH_INFO_ADDR, module list (the initrd) at PVH_MODLIST_ADDR, memory map at PVH_MEMMAP_ADDR.
 * The memory map holds the same regions as the e820 table. */
#ifndef VMM_BOOT_PVH_H
#define VMM_BOOT_PVH_H

#include <stdint.h>

#include "abi/pvh.h"
#include "vmm/boot/layout.h"

#define PVH_MEMMAP_MAX 8

struct pvh_args {
    uint64_t ram_size;
    gpa_t initrd_addr;
    uint64_t initrd_size;       /* 0: no module */
    gpa_t rsdp;                 /* rsdp_paddr; 0 without ACPI */
};

/* Fills the three structures (zeroed first). Returns the number of memory map entries. */
unsigned pvh_build(struct hvm_start_info *si, struct hvm_modlist_entry *mod,
                   struct hvm_memmap_table_entry map[PVH_MEMMAP_MAX], const struct pvh_args *a);

#endif
