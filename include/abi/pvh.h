/* The PVH boot ABI: the ELF note that advertises the 32-bit entry, and the start_info block that
 * a PVH loader (QEMU -kernel, Firecracker >= 1.12, Cloud Hypervisor) hands over in EBX.
 * Spec: Xen public/arch-x86/hvm/start_info.h and public/elfnote.h (XEN_ELFNOTE_PHYS32_ENTRY). */
#ifndef ABI_PVH_H
#define ABI_PVH_H

#include <stdint.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;        /* 0 or 1; memmap fields only in 1 */
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;  /* array of struct hvm_modlist_entry */
    uint64_t cmdline_paddr;  /* NUL-terminated */
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;   /* version 1: array of struct hvm_memmap_table_entry */
    uint32_t memmap_entries;
    uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info v1 is 56 bytes");

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");

/* Types are the e820 ones (E820_RAM, ...). */
struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry");

#endif
