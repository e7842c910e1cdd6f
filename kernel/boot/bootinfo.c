/* The loader's hand-over, turned into struct boot_info. Linux: boot.rst "64-bit BOOT PROTOCOL" and
 * zero-page.rst; PVH: Xen public/arch-x86/hvm/start_info.h. */
#include "boot/bootinfo.h"

#include <errno.h>

#include "abi/bootparam.h"
#include "abi/pvh.h"
#include "mote/layout.h"
#include "mote/string.h"

static int fail(const char **why, const char *msg)
{
    *why = msg;
    return -EINVAL;
}

static void copy_cmdline(struct boot_info *bi, uint64_t addr, uint32_t max, phys_reader rd)
{
    bi->cmdline[0] = '\0';
    if (!addr)
        return;
    if (max >= BOOT_CMDLINE_MAX)
        max = BOOT_CMDLINE_MAX - 1;
    const char *s = rd(addr, max);
    if (!s)
        return;
    size_t n = strnlen(s, max); /* one repne scasb and one rep movsb, not a loop a byte */
    memcpy(bi->cmdline, s, n);
    bi->cmdline[n] = '\0';
}

static void add_mem(struct boot_info *bi, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size == 0 || bi->nr_mem >= BOOT_MEMMAP_MAX)
        return;
    bi->mem[bi->nr_mem].addr = addr;
    bi->mem[bi->nr_mem].size = size;
    bi->mem[bi->nr_mem].type = type;
    bi->nr_mem++;
}

int bootinfo_from_linux(struct boot_info *bi, uint64_t zero_page, phys_reader rd,
                        const char **why)
{
    const struct boot_params *bp = rd(zero_page, sizeof(*bp));
    if (!bp)
        return fail(why, "zero page is not in memory");
    if (bp->hdr.boot_flag != BOOT_FLAG_MAGIC || bp->hdr.header != BOOT_HDRS_MAGIC)
        return fail(why, "zero page lacks boot_flag 0xAA55 and \"HdrS\"");
    if (bp->e820_entries > E820_MAX_ENTRIES_ZEROPAGE)
        return fail(why, "zero page e820 table is too long");

    bi->protocol = BOOT_LINUX64;
    bi->nr_mem = 0;
    for (unsigned i = 0; i < bp->e820_entries; i++)
        add_mem(bi, bp->e820_table[i].addr, bp->e820_table[i].size, bp->e820_table[i].type);
    if (bi->nr_mem == 0)
        return fail(why, "zero page has no memory map");

    uint64_t cmd = bp->hdr.cmd_line_ptr | ((uint64_t)bp->ext_cmd_line_ptr << 32);
    uint32_t cmdsize = bp->hdr.cmdline_size ? bp->hdr.cmdline_size : BOOT_CMDLINE_MAX - 1;
    copy_cmdline(bi, cmd, cmdsize, rd);

    bi->initrd_addr = bp->hdr.ramdisk_image | ((uint64_t)bp->ext_ramdisk_image << 32);
    bi->initrd_size = bp->hdr.ramdisk_size | ((uint64_t)bp->ext_ramdisk_size << 32);
    if (!bi->initrd_size)
        bi->initrd_addr = 0;
    bi->rsdp = bp->acpi_rsdp_addr;
    return 0;
}

int bootinfo_from_pvh(struct boot_info *bi, uint64_t start_info, phys_reader rd,
                      const char **why)
{
    const struct hvm_start_info *si = rd(start_info, sizeof(*si));
    if (!si)
        return fail(why, "PVH start_info is not in memory");
    if (si->magic != HVM_START_MAGIC)
        return fail(why, "PVH start_info has a bad magic");

    bi->protocol = BOOT_PVH;
    bi->nr_mem = 0;
    if (si->version >= 1 && si->memmap_entries) {
        if (si->memmap_entries > 1024)
            return fail(why, "PVH memory map is too long");
        const struct hvm_memmap_table_entry *m =
            rd(si->memmap_paddr, si->memmap_entries * sizeof(*m));
        if (!m)
            return fail(why, "PVH memory map is not in memory");
        for (unsigned i = 0; i < si->memmap_entries; i++)
            add_mem(bi, m[i].addr, m[i].size, m[i].type);
    }
    if (bi->nr_mem == 0)
        return fail(why, "PVH start_info has no memory map");

    copy_cmdline(bi, si->cmdline_paddr, BOOT_CMDLINE_MAX - 1, rd);

    bi->initrd_addr = bi->initrd_size = 0;
    if (si->nr_modules) {
        const struct hvm_modlist_entry *mod = rd(si->modlist_paddr, sizeof(*mod));
        if (!mod)
            return fail(why, "PVH module list is not in memory");
        bi->initrd_addr = mod->paddr;
        bi->initrd_size = mod->size;
    }
    bi->rsdp = si->rsdp_paddr;
    return 0;
}
