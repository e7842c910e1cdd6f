/* The kernel's page tables: built once at boot to replace the early static ones (entry.S), then
 * extended for the program's pages. Intel SDM vol. 3 §4.5 (4-level paging). A and D bits are set
 * in advance so the CPU never has to write them back (under PVM every such update is a trap). */
#include <errno.h>

#include "abi/bootparam.h"
#include "boot/bootinfo.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/x86.h"

#define LARGE_PAGE (2ull << 20)

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
    __bss_end[], boot_stack_guard[];

static uint64_t *pml4;

static unsigned idx(uint64_t va, int level)
{
    return (va >> (12 + 9 * level)) & 511;
}

/* Returns the table that entry idx of table points to, allocating it when create is set. */
static uint64_t *next_table(uint64_t *table, unsigned i, bool create, uint64_t flags)
{
    uint64_t e = table[i];
    if (e & PTE_P) {
        if (e & PTE_PS)
            return NULL;
        if ((flags & PTE_U) && !(e & PTE_U))
            table[i] = e | PTE_U;
        return phys_to_virt(e & PTE_ADDR);
    }
    if (!create)
        return NULL;
    paddr_t p = page_alloc();
    if (!p)
        return NULL;
    table[i] = p | PTE_P | PTE_W | PTE_A | (flags & PTE_U);
    return phys_to_virt(p);
}

static uint64_t *walk(uint64_t va, int leaf_level, bool create, uint64_t flags)
{
    uint64_t *t = pml4;
    for (int level = 3; level > leaf_level; level--) {
        t = next_table(t, idx(va, level), create, flags);
        if (!t)
            return NULL;
    }
    return &t[idx(va, leaf_level)];
}

int pg_map(uint64_t va, paddr_t pa, uint64_t flags)
{
    uint64_t *pte = walk(va, 0, true, flags);
    if (!pte)
        return -ENOMEM;
    bool had = *pte & PTE_P;
    *pte = pa | flags | PTE_P | PTE_A | PTE_D;
    if (had)
        invlpg(va);
    return 0;
}

uint64_t *pg_lookup(uint64_t va)
{
    return walk(va, 0, false, 0);
}

void pg_unmap(uint64_t va)
{
    uint64_t *pte = pg_lookup(va);
    if (pte && (*pte & PTE_P)) {
        *pte = 0;
        invlpg(va);
    }
}

static void map_large(uint64_t va, paddr_t pa, uint64_t flags)
{
    uint64_t *pde = walk(va, 1, true, flags);
    if (!pde)
        panic("paging: out of memory building the direct map");
    *pde = pa | flags | PTE_P | PTE_PS | PTE_A | PTE_D;
}

static void map_kernel_range(char *start, char *end, uint64_t flags)
{
    for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end; va += PAGE_SIZE) {
        if (va == (uintptr_t)boot_stack_guard)
            continue; /* the guard page under the boot stack stays unmapped */
        if (pg_map(va, va - KERNEL_VMA, flags | PTE_G))
            panic("paging: out of memory mapping the kernel");
    }
}

void paging_init(const struct boot_info *bi)
{
    paddr_t root = page_alloc();
    if (!root)
        panic("paging: no memory for the page tables");
    pml4 = phys_to_virt(root);

    /* Direct map of every RAM range, in 2 MiB pages. */
    for (unsigned i = 0; i < bi->nr_mem; i++) {
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != E820_RAM)
            continue;
        for (uint64_t pa = ALIGN_DOWN(m->addr, LARGE_PAGE); pa < m->addr + m->size;
             pa += LARGE_PAGE)
            map_large(DIRECT_MAP + pa, pa, PTE_W | PTE_NX | PTE_G);
    }

    map_kernel_range(__text_start, __text_end, 0);
    map_kernel_range(__rodata_start, __rodata_end, PTE_NX);
    map_kernel_range(__data_start, __bss_end, PTE_W | PTE_NX);

    write_cr3(root);
}
