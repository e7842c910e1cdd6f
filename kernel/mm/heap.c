/* Kernel heap: power-of-two size classes from 32 bytes to 2 KiB carved out of pages; larger
 * requests as single pages mapped contiguously in the vmalloc area (no physically contiguous
 * runs needed). A 16-byte header before each block records its class or its page count.
 * One lock (interrupts off while held) guards the lists, the carving pointers and the vmalloc
 * area: kernel threads on every CPU allocate. */
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/spinlock.h"
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

static void vfree_pages(void *va, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t *pte = pg_lookup((uint64_t)va + i * PAGE_SIZE);
        if (pte && (*pte & PTE_P)) {
            page_free(*pte & PTE_ADDR);
            pg_unmap((uint64_t)va + i * PAGE_SIZE);
        }
    }
}
static uint64_t vmalloc_next = VMALLOC_START;

/* Virtual space is handed out once (512 GiB of it); the pages behind it are freed and reused. */
static uint64_t vmalloc_va(size_t n)
{
    if (n > (VMALLOC_END - vmalloc_next) / PAGE_SIZE - 1)
        return 0;
    uint64_t va = vmalloc_next;
    vmalloc_next += (n + 1) * PAGE_SIZE; /* one unmapped guard page after each block */
    return va;
}

void vunmap(void *va, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pg_unmap((uint64_t)va + i * PAGE_SIZE);
}

void *vmap_pages(const paddr_t *pages, size_t n)
{
    uint64_t va = vmalloc_va(n);
    if (!va)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (pg_map(va + i * PAGE_SIZE, pages[i], PTE_W | PTE_NX | PTE_G)) {
            vunmap((void *)va, i);
            return NULL;
        }
    }
    return (void *)va;
}

static void *vmalloc_pages(size_t n)
{
    uint64_t va = vmalloc_va(n);
    if (!va)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        paddr_t p = page_alloc_dirty();
        if (!p || pg_map(va + i * PAGE_SIZE, p, PTE_W | PTE_NX | PTE_G)) {
            if (p)
                page_free(p);
            vfree_pages((void *)va, i);
            return NULL;
        }
    }
    return (void *)va;
}

static int class_of(size_t total)
{
    if (total > (1ul << MAX_SHIFT))
        return -1;
    if (total <= (1ul << MIN_SHIFT))
        return 0;
    return 64 - __builtin_clzll(total - 1) - MIN_SHIFT; /* ceil(log2(total)) - MIN_SHIFT */
}

/* Each class carves blocks off its current page one at a time (no loop threading a whole page
 * onto the free list: under PVM every CPL0 instruction costs ~2.8 us). */
static char *carve_next[NCLASSES], *carve_end[NCLASSES];

static struct free_block *carve(int c)
{
    size_t sz = 1ul << (c + MIN_SHIFT);
    if (carve_next[c] == carve_end[c]) {
        paddr_t p = page_alloc_dirty();
        if (!p)
            return NULL;
        carve_next[c] = phys_to_virt(p);
        carve_end[c] = carve_next[c] + PAGE_SIZE;
    }
    struct free_block *b = (struct free_block *)carve_next[c];
    carve_next[c] += sz;
    return b;
}

static spinlock_t heap_lock = SPINLOCK_INIT;

static struct header *alloc_locked(size_t total)
{
    int c = class_of(total);
    struct header *h;
    if (c >= 0) {
        if (free_lists[c]) {
            h = (struct header *)free_lists[c];
            free_lists[c] = free_lists[c]->next;
        } else if (!(h = (struct header *)carve(c))) {
            return NULL;
        }
        h->class_or_pages = c;
    } else {
        size_t pages = ALIGN_UP(total, PAGE_SIZE) / PAGE_SIZE;
        if (pages >= BIG)
            return NULL;
        h = vmalloc_pages(pages);
        if (!h)
            return NULL;
        h->class_or_pages = BIG | pages;
    }
    h->magic = HEAP_MAGIC;
    return h;
}

void *kmalloc(size_t size)
{
    if (size > SIZE_MAX - sizeof(struct header))
        return NULL;
    uint64_t flags = spin_lock(&heap_lock);
    struct header *h = alloc_locked(size + sizeof(struct header));
    spin_unlock(&heap_lock, flags);
    return h ? h + 1 : NULL;
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
    if (!p || (uintptr_t)p >= KERNEL_VMA)
        return; /* NULL, or static memory (the boot file tree's nodes: fs/dev.c) */
    struct header *h = (struct header *)p - 1;
    uint64_t flags = spin_lock(&heap_lock);
    if (h->magic != HEAP_MAGIC) {
        spin_unlock(&heap_lock, flags);
        return;
    }
    h->magic = 0;
    if (h->class_or_pages & BIG) {
        vfree_pages(h, h->class_or_pages & ~BIG);
    } else {
        int c = h->class_or_pages;
        struct free_block *b = (struct free_block *)h;
        b->next = free_lists[c];
        free_lists[c] = b;
    }
    spin_unlock(&heap_lock, flags);
}

void *krealloc(void *p, size_t old, size_t size)
{
    void *n = kmalloc(size);
    if (n && p)
        memcpy(n, p, MIN(old, size));
    if (n)
        kfree(p);
    return n;
}
