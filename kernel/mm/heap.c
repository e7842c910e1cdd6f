/* Kernel heap: power-of-two size classes from 32 bytes to 2 KiB carved out of pages, larger
 * requests as whole pages. A 16-byte header before each block records its class. */
#include "mote/mm.h"
#include "mote/string.h"

#define MIN_SHIFT 5
#define MAX_SHIFT 11
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)

struct header {
    uint32_t class_or_pages; /* class index, or page count | BIG */
    uint32_t magic;
    uint64_t pad;
};
#define BIG 0x80000000u
#define HEAP_MAGIC 0x6d6f7465u

struct free_block {
    struct free_block *next;
};

static struct free_block *free_lists[NCLASSES];

static int class_of(size_t total)
{
    for (int c = 0; c < NCLASSES; c++)
        if (total <= (1ul << (c + MIN_SHIFT)))
            return c;
    return -1;
}

static bool refill(int c)
{
    paddr_t p = page_alloc_dirty();
    if (!p)
        return false;
    size_t sz = 1ul << (c + MIN_SHIFT);
    char *base = phys_to_virt(p);
    for (size_t off = 0; off + sz <= PAGE_SIZE; off += sz) {
        struct free_block *b = (struct free_block *)(base + off);
        b->next = free_lists[c];
        free_lists[c] = b;
    }
    return true;
}

void *kmalloc(size_t size)
{
    size_t total = size + sizeof(struct header);
    int c = class_of(total);
    struct header *h;
    if (c >= 0) {
        if (!free_lists[c] && !refill(c))
            return NULL;
        h = (struct header *)free_lists[c];
        free_lists[c] = free_lists[c]->next;
        h->class_or_pages = c;
    } else {
        /* Whole pages, physically contiguous only when the allocator hands them out in order;
         * so large blocks come from a single page run of the bump allocator. */
        size_t pages = ALIGN_UP(total, PAGE_SIZE) / PAGE_SIZE;
        if (pages != 1)
            return NULL; /* no contiguous multi-page allocations yet */
        paddr_t p = page_alloc_dirty();
        if (!p)
            return NULL;
        h = phys_to_virt(p);
        h->class_or_pages = BIG | 1;
    }
    h->magic = HEAP_MAGIC;
    return h + 1;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct header *h = (struct header *)p - 1;
    if (h->magic != HEAP_MAGIC)
        return;
    h->magic = 0;
    if (h->class_or_pages & BIG) {
        page_free(virt_to_phys(h));
        return;
    }
    int c = h->class_or_pages;
    struct free_block *b = (struct free_block *)h;
    b->next = free_lists[c];
    free_lists[c] = b;
}
