/* Physical page allocator: the RAM ranges of the memory map, handed out from the bottom of each
 * range (bump), plus a free list of returned pages. No bitmap to set up at boot: the cost of
 * initialisation is a few instructions per memory-map entry. One lock (interrupts off while held)
 * guards the ranges and the list: every CPU allocates. */
#include <errno.h>

#include "abi/bootparam.h"
#include "boot/bootinfo.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/spinlock.h"
#include "mote/string.h"

#define MAX_RANGES 32

struct range {
    paddr_t next, end;
};

static struct range ranges[MAX_RANGES + 1]; /* the last one always empty */
static unsigned nranges, cur_range;
static paddr_t free_list; /* physical address of the first free page; each holds the next */
static uint64_t nfree, ntotal, ram_top;
static spinlock_t page_lock = SPINLOCK_INIT;

extern char __kernel_phys_start[], __kernel_phys_end[];

static void add_range(paddr_t start, paddr_t end)
{
    start = ALIGN_UP(start, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (end <= start)
        return;
    if (nranges == MAX_RANGES) {
        pr_warn("mm: memory map too fragmented, ignoring %lx-%lx\n", start, end);
        return;
    }
    ranges[nranges].next = start;
    ranges[nranges].end = end;
    nranges++;
    ntotal += (end - start) / PAGE_SIZE;
    nfree += (end - start) / PAGE_SIZE;
}

void page_init(const struct boot_info *bi)
{
    /* What must not be handed out, in address order: page 0; the AP start code and the monitor's
     * identity page tables (0x9000-0xbfff in Firecracker's layout), which an AP woken through the
     * ACPI mailbox runs on for its first instructions; the kernel image; the initrd, put in its
     * place in the order. */
    _Static_assert(AP_TRAMPOLINE_PHYS + PAGE_SIZE == 0x9000, "one hole for 0x8000-0xbfff");
    paddr_t holes[4][2] = {
        {0, PAGE_SIZE},
        {AP_TRAMPOLINE_PHYS, 0xc000},
        {(paddr_t)__kernel_phys_start, ALIGN_UP((paddr_t)__kernel_phys_end, PAGE_SIZE)},
    };
    unsigned nh = 3;
    if (bi->initrd_size) {
        paddr_t s = ALIGN_DOWN(bi->initrd_addr, PAGE_SIZE);
        paddr_t e = ALIGN_UP(bi->initrd_addr + bi->initrd_size, PAGE_SIZE);
        unsigned at = nh;
        for (; at > 0 && holes[at - 1][0] > s; at--) {
            holes[at][0] = holes[at - 1][0];
            holes[at][1] = holes[at - 1][1];
        }
        holes[at][0] = s;
        holes[at][1] = e;
        nh++;
    }

    for (unsigned i = 0; i < bi->nr_mem; i++) {
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != E820_RAM)
            continue;
        paddr_t cur = m->addr, end = m->addr + m->size;
        if (end > ram_top)
            ram_top = end;
        /* The parts between the holes, from the bottom up (add_range drops empty ones). */
        for (unsigned h = 0; h < nh && cur < end; h++) {
            if (holes[h][1] <= cur)
                continue;
            if (holes[h][0] >= end)
                break;
            add_range(cur, holes[h][0]);
            cur = holes[h][1];
        }
        if (cur < end)
            add_range(cur, end);
    }
}

static paddr_t alloc_next_range(void)
{
    while (++cur_range < nranges) {
        struct range *r = &ranges[cur_range];
        if (r->next < r->end) {
            paddr_t p = r->next;
            r->next += PAGE_SIZE;
            nfree--;
            return p;
        }
    }
    cur_range = nranges;
    return 0;
}

static paddr_t alloc_locked(void)
{
    if (free_list) {
        paddr_t p = free_list;
        free_list = *(paddr_t *)phys_to_virt(p);
        nfree--;
        return p;
    }
    /* ranges[nranges] stays empty: cur_range may point at it when all are used up. */
    struct range *r = &ranges[cur_range];
    if (r->next < r->end) {
        paddr_t p = r->next;
        r->next += PAGE_SIZE;
        nfree--;
        return p;
    }
    return cur_range < nranges ? alloc_next_range() : 0;
}

paddr_t page_alloc_dirty(void)
{
    uint64_t flags = spin_lock(&page_lock);
    paddr_t p = alloc_locked();
    spin_unlock(&page_lock, flags);
    return p;
}

paddr_t page_alloc(void)
{
    paddr_t p = page_alloc_dirty();
    if (p)
        memset(phys_to_virt(p), 0, PAGE_SIZE);
    return p;
}

void page_free(paddr_t p)
{
    uint64_t flags = spin_lock(&page_lock);
    *(paddr_t *)phys_to_virt(p) = free_list;
    free_list = p;
    nfree++;
    spin_unlock(&page_lock, flags);
}

uint64_t page_ram_top(void)
{
    return ram_top;
}

uint64_t page_free_count(void)
{
    return nfree;
}

uint64_t page_total_count(void)
{
    return ntotal;
}

paddr_t page_alloc_contig(unsigned n)
{
    if (n == 0)
        return 0;
    if (n == 1)
        return page_alloc();
    /* The bump part of each range is contiguous: take the first range (from the current one on)
     * with n pages left. Ranges skipped stay usable for single pages. */
    uint64_t flags = spin_lock(&page_lock);
    for (unsigned i = cur_range; i < nranges; i++) {
        struct range *r = &ranges[i];
        if (r->end - r->next >= (uint64_t)n * PAGE_SIZE) {
            paddr_t p = r->next;
            r->next += (uint64_t)n * PAGE_SIZE;
            nfree -= n;
            spin_unlock(&page_lock, flags);
            memset(phys_to_virt(p), 0, (size_t)n * PAGE_SIZE);
            return p;
        }
    }
    spin_unlock(&page_lock, flags);
    return 0;
}
