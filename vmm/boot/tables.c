/* Page tables and GDT; see tables.h. */
#include "vmm/boot/tables.h"

#include <string.h>

#include "vmm/boot/layout.h"

#define PTE_PRESENT 0x1ull
#define PTE_WRITE 0x2ull
#define PTE_HUGE 0x80ull

void boot_page_tables_at(uint64_t *pml4, uint64_t *pdpt, uint64_t *pd, gpa_t pdpt_addr,
                         gpa_t pd_addr)
{
    memset(pml4, 0, PT_ENTRIES * sizeof(uint64_t));
    memset(pdpt, 0, PT_ENTRIES * sizeof(uint64_t));
    pml4[0] = pdpt_addr | PTE_PRESENT | PTE_WRITE;
    pdpt[0] = pd_addr | PTE_PRESENT | PTE_WRITE;
    for (uint64_t i = 0; i < PT_ENTRIES; i++)
        pd[i] = (i << 21) | PTE_HUGE | PTE_WRITE | PTE_PRESENT;
}

void boot_page_tables(uint64_t *pml4, uint64_t *pdpt, uint64_t *pd)
{
    boot_page_tables_at(pml4, pdpt, pd, PDPT_ADDR, PD_ADDR);
}

void boot_gdt(uint64_t gdt[BOOT_GDT_ENTRIES], enum boot_protocol proto)
{
    gdt[0] = 0;
    gdt[1] = proto == BOOT_PVH ? GDT_CODE32 : GDT_CODE64;
    gdt[2] = GDT_DATA;
    gdt[3] = proto == BOOT_PVH ? GDT_TSS32 : GDT_TSS64;
}

void gdt_to_segment(uint64_t d, uint16_t selector, struct kvm_segment *seg)
{
    uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
    uint8_t g = (d >> 55) & 1;

    memset(seg, 0, sizeof(*seg));
    seg->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
    seg->limit = g ? (limit << 12) | 0xfff : limit;
    seg->selector = selector;
    seg->type = (d >> 40) & 0xf;
    seg->s = (d >> 44) & 1;
    seg->dpl = (d >> 45) & 3;
    seg->present = (d >> 47) & 1;
    seg->avl = (d >> 52) & 1;
    seg->l = (d >> 53) & 1;
    seg->db = (d >> 54) & 1;
    seg->g = g;
    seg->unusable = !seg->present;
}
