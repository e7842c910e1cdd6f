/* Physical page allocator: the RAM ranges of the memory map, handed out from the bottom of each
 * range (bump), plus a free list of returned pages. No bitmap to set up at boot: the cost of
 * initialisation is a few instructions per memory-map entry. */
#include <errno.h>

#include "abi/bootparam.h"
#include "boot/bootinfo.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"

#define MAX_RANGES 32

struct range {
    paddr_t next, end;
};

static struct range ranges[MAX_RANGES];
static unsigned nranges, cur_range;
static paddr_t free_list; /* physical address of the first free page; each holds the next */
static uint64_t nfree, ntotal, ram_top;

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

#define NHOLES 5
static paddr_t holes[NHOLES][2];

void page_init(const struct boot_info *bi)
{
    /* What must not be handed out: page 0, the kernel image, the initrd. */
    holes[0][0] = 0;
    holes[0][1] = PAGE_SIZE;
    holes[1][0] = (paddr_t)__kernel_phys_start;
    holes[1][1] = ALIGN_UP((paddr_t)__kernel_phys_end, PAGE_SIZE);
    holes[2][0] = ALIGN_DOWN(bi->initrd_addr, PAGE_SIZE);
    holes[2][1] = ALIGN_UP(bi->initrd_addr + bi->initrd_size, PAGE_SIZE);
    /* The AP start code, and the monitor's identity page tables (0x9000-0xbfff in Firecracker's
     * layout), which an AP woken through the ACPI mailbox runs on for its first instructions. */
    holes[3][0] = AP_TRAMPOLINE_PHYS;
    holes[3][1] = AP_TRAMPOLINE_PHYS + PAGE_SIZE;
    holes[4][0] = 0x9000;
    holes[4][1] = 0xc000;

    for (unsigned i = 0; i < bi->nr_mem; i++) {
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != E820_RAM)
            continue;
        if (m->addr + m->size > ram_top)
            ram_top = m->addr + m->size;
        /* Split the range around each hole in turn (the holes do not overlap). */
        paddr_t s = m->addr, e = m->addr + m->size;
        paddr_t pieces[NHOLES + 1][2] = {{s, e}};
        unsigned np = 1;
        for (unsigned h = 0; h < NHOLES; h++) {
            paddr_t hs = holes[h][0], he = holes[h][1];
            if (he <= hs)
                continue;
            for (unsigned k = 0; k < np; k++) {
                paddr_t ps = pieces[k][0], pe = pieces[k][1];
                if (he <= ps || hs >= pe)
                    continue;
                /* Replace piece k by its part below the hole, append the part above. */
                pieces[k][1] = hs > ps ? hs : ps;
                if (he < pe && np < NHOLES + 1) {
                    pieces[np][0] = he;
                    pieces[np][1] = pe;
                    np++;
                }
            }
        }
        for (unsigned k = 0; k < np; k++)
            add_range(pieces[k][0], pieces[k][1]);
    }
}

paddr_t page_alloc_dirty(void)
{
    if (free_list) {
        paddr_t p = free_list;
        free_list = *(paddr_t *)phys_to_virt(p);
        nfree--;
        return p;
    }
    while (cur_range < nranges) {
        struct range *r = &ranges[cur_range];
        if (r->next < r->end) {
            paddr_t p = r->next;
            r->next += PAGE_SIZE;
            nfree--;
            return p;
        }
        cur_range++;
    }
    return 0;
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
    *(paddr_t *)phys_to_virt(p) = free_list;
    free_list = p;
    nfree++;
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
    for (unsigned i = cur_range; i < nranges; i++) {
        struct range *r = &ranges[i];
        if (r->end - r->next >= (uint64_t)n * PAGE_SIZE) {
            paddr_t p = r->next;
            r->next += (uint64_t)n * PAGE_SIZE;
            nfree -= n;
            memset(phys_to_virt(p), 0, (size_t)n * PAGE_SIZE);
            return p;
        }
    }
    return 0;
}
