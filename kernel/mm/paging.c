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

/* Static tables (arch entry.S): zeroed by the loader, filled here. */
extern uint64_t kpml4[512], kpdpt_direct[512], kpdpt_kernel[512], kpd_kernel[512],
    kpt_kernel[KPT_COUNT][512], kpd_direct0[512];
#define DIRECT0_SIZE (1ull << 30)

static uint64_t *pml4; /* the current address space's root (kpml4 until the first switch) */

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

static uint64_t *walk_in(uint64_t *t, uint64_t va, int leaf_level, bool create, uint64_t flags)
{
    for (int level = 3; level > leaf_level; level--) {
        t = next_table(t, idx(va, level), create, flags);
        if (!t)
            return NULL;
    }
    return &t[idx(va, leaf_level)];
}

static uint64_t *walk(uint64_t va, int leaf_level, bool create, uint64_t flags)
{
    return walk_in(pml4, va, leaf_level, create, flags);
}

/* The last page table a 4 KiB walk reached: a program's pages come in runs (segments, the stack),
 * so most maps and lookups skip the three upper levels (~100 instructions a walk, each emulated
 * under PVM). Keyed by root and 2 MiB region; forgotten when user tables are freed, since a freed
 * root or table page may come back as another. */
static struct {
    uint64_t *root, *table, region;
    bool user; /* the walk that filled it set PTE_U on the way down */
} last_pt;

static __attribute__((noinline)) uint64_t *walk_pte_fill(uint64_t *root, uint64_t va, bool create,
                                                         uint64_t flags)
{
    uint64_t *pte = walk_in(root, va, 0, create, flags);
    if (pte) {
        last_pt.root = root;
        last_pt.table = pte - idx(va, 0);
        last_pt.region = va >> 21;
        last_pt.user = flags & PTE_U;
    }
    return pte;
}

static inline uint64_t *walk_pte(uint64_t *root, uint64_t va, bool create, uint64_t flags)
{
    if (last_pt.table && last_pt.root == root && last_pt.region == va >> 21 &&
        (last_pt.user || !(flags & PTE_U)))
        return &last_pt.table[idx(va, 0)];
    return walk_pte_fill(root, va, create, flags);
}

int pg_map_in(paddr_t root, uint64_t va, paddr_t pa, uint64_t flags)
{
    uint64_t *pte = walk_pte(phys_to_virt(root), va, true, flags);
    if (!pte)
        return -ENOMEM;
    *pte = pa | flags | PTE_P | PTE_A | PTE_D;
    return 0;
}

int pg_map(uint64_t va, paddr_t pa, uint64_t flags)
{
    uint64_t *pte = walk_pte(pml4, va, true, flags);
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
    return walk_pte(pml4, va, false, 0);
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
    last_pt.table = NULL; /* a page table here would be replaced */
    *pde = pa | flags | PTE_P | PTE_PS | PTE_A | PTE_D;
}

/* Fills the kernel image's PTEs for [start, end) straight into the static page tables. */
static void map_kernel_range(char *start, char *end, uint64_t flags)
{
    uint64_t *pte = &kpt_kernel[0][0];
    uint64_t first = ((uintptr_t)start - KERNEL_VMA) >> PAGE_SHIFT;
    uint64_t last = ((uintptr_t)end - KERNEL_VMA) >> PAGE_SHIFT;
    uint64_t v = (first << PAGE_SHIFT) | flags | PTE_P | PTE_A | PTE_D | PTE_G;
    uint64_t i = first;
    /* Eight entries a step (~2 instructions an entry instead of ~7: the image has ~130 pages,
     * each instruction emulated under PVM). */
    for (; i + 8 <= last; i += 8, v += 8 * PAGE_SIZE) {
        pte[i] = v;
        pte[i + 1] = v + 1 * PAGE_SIZE;
        pte[i + 2] = v + 2 * PAGE_SIZE;
        pte[i + 3] = v + 3 * PAGE_SIZE;
        pte[i + 4] = v + 4 * PAGE_SIZE;
        pte[i + 5] = v + 5 * PAGE_SIZE;
        pte[i + 6] = v + 6 * PAGE_SIZE;
        pte[i + 7] = v + 7 * PAGE_SIZE;
    }
    for (; i < last; i++, v += PAGE_SIZE)
        pte[i] = v;
}

void paging_init(const struct boot_info *bi)
{
    const uint64_t table = PTE_P | PTE_W | PTE_A;
    pml4 = kpml4;

    /* Direct map: the first GiB is the static kpd_direct0; RAM above it gets 2 MiB pages. */
    kpml4[idx(DIRECT_MAP, 3)] = virt_to_phys(kpdpt_direct) | table;
    kpdpt_direct[0] = virt_to_phys(kpd_direct0) | table;
    for (unsigned i = 0; i < bi->nr_mem; i++) {
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != E820_RAM || m->addr + m->size <= DIRECT0_SIZE)
            continue;
        for (uint64_t pa = ALIGN_DOWN(MAX(m->addr, DIRECT0_SIZE), LARGE_PAGE);
             pa < m->addr + m->size; pa += LARGE_PAGE)
            map_large(DIRECT_MAP + pa, pa, PTE_W | PTE_NX | PTE_G);
    }

    /* The kernel image: PML4[511] -> PDPT[510] -> kpd_kernel -> kpt_kernel, 4 KiB pages. */
    if ((uintptr_t)__bss_end - KERNEL_VMA > KPT_COUNT * LARGE_PAGE)
        panic("paging: the kernel image is larger than KPT_COUNT page tables map");
    kpml4[idx(KERNEL_VMA, 3)] = virt_to_phys(kpdpt_kernel) | table;
    kpdpt_kernel[idx(KERNEL_VMA, 2)] = virt_to_phys(kpd_kernel) | table;
    for (int i = 0; i < KPT_COUNT; i++)
        kpd_kernel[i] = virt_to_phys(kpt_kernel[i]) | table;
    map_kernel_range(__text_start, __text_end, 0);
    map_kernel_range(__rodata_start, __rodata_end, PTE_NX);
    map_kernel_range(__data_start, __bss_end, PTE_W | PTE_NX);
    /* The guard page under the boot stack stays unmapped. */
    kpt_kernel[0][((uintptr_t)boot_stack_guard - KERNEL_VMA) >> PAGE_SHIFT] = 0;

    /* Every kernel-half PML4 entry exists from boot (the PDPTs of ioremap, vmalloc and the
     * thread stacks made now), so the program's roots, which copy the kernel half once
     * (pg_new_root), see every later kernel mapping. */
    if (!walk(IOREMAP_BASE, 2, true, 0) || !walk(VMALLOC_START, 2, true, 0) ||
        !walk(KSTACK_AREA, 2, true, 0))
        panic("paging: out of memory for the kernel's PDPTs");

    write_cr3(virt_to_phys(kpml4));
}

paddr_t pg_new_root(void)
{
    paddr_t p = page_alloc();
    if (!p)
        return 0;
    uint64_t *t = phys_to_virt(p);
    memcpy(t + 256, kpml4 + 256, 256 * sizeof(uint64_t)); /* one rep movsb: cheap under PVM */
    return p;
}

paddr_t pg_root(void)
{
    return virt_to_phys(pml4);
}

void pg_switch(paddr_t root)
{
    if (root == virt_to_phys(pml4))
        return;
    pml4 = phys_to_virt(root);
    write_cr3(root);
}

/* Index of the first non-zero entry of t in [i, end), or end: one `repe scasq` (memskip64),
 * which counts (and, under PVM, is emulated) as one instruction where a loop over 512 mostly
 * empty entries costs thousands. Cleared entries are 0 here. */
static unsigned next_used(const uint64_t *t, unsigned i, unsigned end)
{
    const uint64_t *p = i < end ? memskip64(t + i, 0, end - i) : NULL;
    return p ? (unsigned)(p - t) : end;
}

static void free_level(uint64_t *t, int level)
{
    for (unsigned i = next_used(t, 0, 512); i < 512; i = next_used(t, i + 1, 512)) {
        uint64_t e = t[i];
        if (!(e & PTE_P))
            continue;
        if (level == 0) {
            if (e & PTE_OWNED)
                page_free(e & PTE_ADDR);
            continue;
        }
        free_level(phys_to_virt(e & PTE_ADDR), level - 1);
        page_free(e & PTE_ADDR);
    }
}

static void walk_level(uint64_t *t, int level, uint64_t base, uint64_t s, uint64_t e,
                       pg_walk_fn fn, void *arg)
{
    uint64_t span = 1ull << (12 + 9 * level);
    for (unsigned i = next_used(t, idx(MAX(s, base), level), 512); i < 512;
         i = next_used(t, i + 1, 512)) {
        uint64_t lo = base + i * span;
        if (lo >= e)
            break;
        uint64_t ent = t[i];
        if (!(ent & PTE_P))
            continue;
        if (level == 0)
            fn(lo, &t[i], arg);
        else if (!(ent & PTE_PS))
            walk_level(phys_to_virt(ent & PTE_ADDR), level - 1, lo, s, e, fn, arg);
    }
}

void pg_walk_range(uint64_t start, uint64_t end, pg_walk_fn fn, void *arg)
{
    if (start < end)
        walk_level(pml4, 3, 0, start, end, fn, arg);
}

void pg_free_user(paddr_t root)
{
    last_pt.table = NULL;
    uint64_t *t = phys_to_virt(root);
    for (unsigned i = next_used(t, 0, 256); i < 256; i = next_used(t, i + 1, 256)) {
        if (!(t[i] & PTE_P))
            continue;
        free_level(phys_to_virt(t[i] & PTE_ADDR), 2);
        page_free(t[i] & PTE_ADDR);
    }
    page_free(root);
}

void pg_switch_kernel(void)
{
    pml4 = kpml4;
    write_cr3(virt_to_phys(kpml4));
}

void pg_flush(void)
{
    write_cr3(virt_to_phys(pml4));
}

void paging_load(void)
{
    write_cr3(virt_to_phys(kpml4));
}

void *ioremap(paddr_t pa, size_t len)
{
    static uint64_t next = IOREMAP_BASE;
    paddr_t start = ALIGN_DOWN(pa, PAGE_SIZE), end = ALIGN_UP(pa + len, PAGE_SIZE);
    if (next + (end - start) > IOREMAP_BASE + IOREMAP_SIZE)
        return NULL;
    uint64_t va = next;
    for (paddr_t p = start; p < end; p += PAGE_SIZE)
        if (pg_map(va + (p - start), p, PTE_W | PTE_NX | PTE_PCD | PTE_PWT | PTE_G))
            return NULL;
    next += end - start;
    return (void *)(va + (pa - start));
}

/* Stack slots are handed out in order and recycled through a free list of slot addresses. */
static uint64_t kstack_next = KSTACK_AREA;
static uint64_t kstack_free_list[64];
static unsigned kstack_nfree;

void *kstack_alloc(void)
{
    uint64_t stack;
    if (kstack_nfree) {
        stack = kstack_free_list[--kstack_nfree];
    } else {
        stack = kstack_next + KSTACK_SLOT - KSTACK_SIZE;
        for (uint64_t va = stack; va < stack + KSTACK_SIZE; va += PAGE_SIZE) {
            paddr_t pa = page_alloc_dirty();
            if (!pa || pg_map(va, pa, PTE_W | PTE_NX | PTE_G))
                return NULL;
        }
        kstack_next += KSTACK_SLOT;
    }
    return (void *)stack;
}

void kstack_free(void *stack)
{
    if (kstack_nfree < sizeof(kstack_free_list) / sizeof(kstack_free_list[0]))
        kstack_free_list[kstack_nfree++] = (uint64_t)stack;
}


const void *phys_read_low(uint64_t paddr, size_t len)
{
    if (paddr >= DIRECT0_SIZE || len > DIRECT0_SIZE - paddr)
        return NULL;
    return phys_to_virt(paddr);
}
