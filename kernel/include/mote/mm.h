/* Physical pages, the kernel heap and page tables. */
#ifndef MOTE_MM_H
#define MOTE_MM_H

#include "mote/layout.h"
#include "mote/types.h"

struct boot_info;

static inline void *phys_to_virt(paddr_t p)
{
    return (void *)(p + DIRECT_MAP);
}
static inline paddr_t virt_to_phys(const void *v)
{
    uintptr_t a = (uintptr_t)v;
    return a >= KERNEL_VMA ? a - KERNEL_VMA : a - DIRECT_MAP;
}

/* Reads firmware and loader structures: a pointer to [paddr, paddr + len) through the direct
 * map of the first GiB (mapped by the early and the final page tables alike), or NULL past it.
 * A phys_reader (boot/bootinfo.h). */
const void *phys_read_low(uint64_t paddr, size_t len);

/* Physical pages (mm/page.c). page_init takes every E820_RAM range except page 0, the kernel image
 * and the initrd; call it after the boot info has been copied out of low memory. */
void page_init(const struct boot_info *bi);
paddr_t page_alloc(void);        /* a zeroed page, or 0 when memory is exhausted */
paddr_t page_alloc_dirty(void);  /* contents undefined: for pages about to be overwritten */
/* n physically contiguous zeroed pages (virtqueue rings, DMA pools), or 0. Taken from the unused
 * part of a RAM range; give them back one page at a time with page_free. */
paddr_t page_alloc_contig(unsigned n);
void page_free(paddr_t p);
uint64_t page_ram_top(void);     /* end of the highest RAM range */
uint64_t page_free_count(void);
uint64_t page_total_count(void);

/* Kernel heap (mm/heap.c). */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* Moves a block of old bytes to a new one of size bytes; the old block stays on failure. */
void *krealloc(void *p, size_t old, size_t size);

/* Page tables (mm/paging.c). */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_OWNED (1ull << 9) /* software bit: the page belongs to this address space */
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* Builds the final kernel page tables (direct map of all RAM, the kernel image with per-section
 * rights, a guard page under the boot stack) and switches to them. */
void paging_init(const struct boot_info *bi);
/* Loads the kernel page tables on this CPU (application processors). */
void paging_load(void);
/* Maps one 4 KiB page in the current address space; flags are PTE_* (PTE_P implied). Returns 0 or
 * -ENOMEM. Replaces an existing mapping (and flushes it). */
int pg_map(uint64_t va, paddr_t pa, uint64_t flags);
/* Returns the PTE for va (NULL when no page table reaches it). */
uint64_t *pg_lookup(uint64_t va);
void pg_unmap(uint64_t va);
/* Address spaces: a new root shares the kernel half (every kernel PML4 entry exists from
 * paging_init on); pg_switch loads one; pg_free_user frees a root's user page tables and the
 * pages marked PTE_OWNED in them (call it on a root that is not loaded). */
paddr_t pg_new_root(void);
/* pg_map into a root that is not loaded (no TLB flush). */
int pg_map_in(paddr_t root, uint64_t va, paddr_t pa, uint64_t flags);
paddr_t pg_root(void);
void pg_switch(paddr_t root);
/* Loads the kernel's own root (no user half). */
void pg_switch_kernel(void);
void pg_free_user(paddr_t root);
/* Calls fn for every present 4 KiB PTE of the current root in [start, end) (user half), skipping
 * absent tables; fn may change or clear the PTE (the caller flushes the TLB). */
typedef void (*pg_walk_fn)(uint64_t va, uint64_t *pte, void *arg);
void pg_walk_range(uint64_t start, uint64_t end, pg_walk_fn fn, void *arg);
/* Reloads CR3: flushes the program's (non-global) TLB entries after a range change. */
void pg_flush(void);

/* Virtually contiguous kernel memory from single pages (mm/heap.c): kmalloc uses it above 2 KiB.
 * vmap_pages maps existing pages contiguously (vunmap leaves them allocated). */
void *vmap_pages(const paddr_t *pages, size_t n);
void vunmap(void *va, size_t n);
/* Maps device registers [pa, pa + len) uncached into the kernel; returns the virtual address of pa
 * or NULL when the window is exhausted. Mappings are never undone. */
void *ioremap(paddr_t pa, size_t len);
/* A thread kernel stack: KSTACK_SIZE bytes, KSTACK_SIZE-aligned, with an unmapped guard page
 * below. Returns the lowest address, or NULL. kstack_free returns its pages. */
void *kstack_alloc(void);
void kstack_free(void *stack);

#endif
