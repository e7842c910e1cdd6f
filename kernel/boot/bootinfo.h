/* One description of what the loader handed over, whichever protocol it used (DESIGN.md, boot
 * step 1). Filled once from the Linux zero page or the PVH start_info; nothing after boot/ looks
 * at either. Pure C: the host unit tests build it too. */
#ifndef MOTE_BOOTINFO_H
#define MOTE_BOOTINFO_H

#include <stddef.h>
#include <stdint.h>

#define BOOT_CMDLINE_MAX 2048
#define BOOT_MEMMAP_MAX 64

struct boot_mem {
    uint64_t addr, size;
    uint32_t type; /* E820_* */
};

struct boot_info {
    int protocol; /* BOOT_LINUX64 or BOOT_PVH */
    char cmdline[BOOT_CMDLINE_MAX];
    struct boot_mem mem[BOOT_MEMMAP_MAX];
    unsigned nr_mem;
    uint64_t initrd_addr, initrd_size;
    uint64_t rsdp;
};

/* Reads guest-physical memory: returns a pointer to len readable bytes at paddr, or NULL when
 * that range is not accessible. The kernel passes its direct map; tests pass a buffer. */
typedef const void *(*phys_reader)(uint64_t paddr, size_t len);

/* Returns 0, or -EINVAL with *why set when the block is not what the protocol promises
 * (boot_flag/"HdrS" missing, bad magic, memory map too large or unreadable). */
int bootinfo_from_linux(struct boot_info *bi, uint64_t zero_page, phys_reader rd,
                        const char **why);
int bootinfo_from_pvh(struct boot_info *bi, uint64_t start_info, phys_reader rd,
                      const char **why);

#endif
