/* The guest kernel image: a 64-bit ELF (vmlinux-style) whose PT_LOAD segments are copied to
 * their physical addresses (p_paddr), each at or above 1 MiB and inside guest RAM. */
#ifndef VMM_BOOT_KERNEL_H
#define VMM_BOOT_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/elf.h"
#include "vmm/mem.h"

struct kernel_image {
    void *map;              /* the file, mapped read-only */
    size_t map_size;
    struct elf_image elf;
    uint64_t entry;         /* e_entry: the Linux 64-bit entry */
    gpa_t start, end;       /* lowest and highest+1 guest-physical bytes the segments use */
};

/* Maps the file and checks it (elf_parse). Returns 0, or -errno with why set. */
int kernel_open(struct kernel_image *k, const char *path, char *why, size_t whylen);

/* Checks an ELF already in memory: an x86-64 ELF whose PT_LOAD segments all lie at or above
 * 1 MiB and inside ram_size bytes of RAM. Fills k->entry/start/end. */
int kernel_check(struct kernel_image *k, const void *data, size_t size, uint64_t ram_size,
                 char *why, size_t whylen);

/* Unmaps the file (after kernel_load: its pages would otherwise stay in motevm's RSS). */
void kernel_close(struct kernel_image *k);

/* The PVH entry (XEN_ELFNOTE_PHYS32_ENTRY in a "Xen" note). Returns 0 or -ENOENT. */
int kernel_pvh_entry(const struct kernel_image *k, uint32_t *entry);

/* Copies the segments' file bytes into guest memory, which must be fresh (zero) RAM: the tails
 * (.bss) are not written, so untouched pages cost nothing. Call after kernel_check. */
int kernel_load(const struct kernel_image *k, const struct guest_mem *m);

#endif
