/* PVH start_info; see pvh.h. */
#include "vmm/boot/pvh.h"

#include <string.h>

#include "vmm/boot/zeropage.h"

unsigned pvh_build(struct hvm_start_info *si, struct hvm_modlist_entry *mod,
                   struct hvm_memmap_table_entry map[PVH_MEMMAP_MAX], const struct pvh_args *a)
{
    struct e820_entry e[PVH_MEMMAP_MAX];
    unsigned n = e820_build(e, PVH_MEMMAP_MAX, a->ram_size);

    memset(si, 0, sizeof(*si));
    memset(mod, 0, sizeof(*mod));
    memset(map, 0, PVH_MEMMAP_MAX * sizeof(*map));
    for (unsigned i = 0; i < n; i++)
        map[i] = (struct hvm_memmap_table_entry){ e[i].addr, e[i].size, e[i].type, 0 };

    si->magic = HVM_START_MAGIC;
    si->version = 1;
    si->cmdline_paddr = CMDLINE_ADDR;
    si->memmap_paddr = PVH_MEMMAP_ADDR;
    si->memmap_entries = n;
    si->rsdp_paddr = a->rsdp;
    if (a->initrd_size) {
        mod->paddr = a->initrd_addr;
        mod->size = a->initrd_size;
        si->nr_modules = 1;
        si->modlist_paddr = PVH_MODLIST_ADDR;
    }
    return n;
}
