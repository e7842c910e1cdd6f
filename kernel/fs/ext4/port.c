/* The ext4 core's memory in the kernel: the heap for small objects, whole pages (direct map,
 * physically contiguous: what the block layer wants for buffers) for block buffers up to a page.
 * The host tests and tools bring their own ext4_malloc/ext4_mfree instead of this file. */
#include "fs/ext4/priv.h"
#include "mote/mm.h"

void *ext4_malloc(size_t size)
{
    if (size <= PAGE_SIZE / 2)
        return kzalloc(size);
    if (size <= PAGE_SIZE) {
        paddr_t p = page_alloc(); /* zeroed */
        return p ? phys_to_virt(p) : NULL;
    }
    return NULL; /* larger runs need a contiguous page allocator */
}

void ext4_mfree(void *p)
{
    if (!p)
        return;
    if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0) /* kmalloc never returns page-aligned blocks */
        page_free(virt_to_phys(p));
    else
        kfree(p);
}
