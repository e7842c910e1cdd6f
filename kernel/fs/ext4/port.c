/* The ext4 core's memory in the kernel: the heap for small objects and large tables (above a
 * page the heap maps single pages contiguously in the vmalloc area); whole pages from the direct
 * map for block buffers up to a page, so the block layer can hand them to the device as they are.
 * The host tests and tools bring their own ext4_malloc/ext4_mfree instead of this file. */
#include "fs/ext4/priv.h"
#include "mote/mm.h"

void *ext4_malloc(size_t size)
{
    if (size > PAGE_SIZE / 2 && size <= PAGE_SIZE) {
        paddr_t p = page_alloc(); /* zeroed */
        return p ? phys_to_virt(p) : NULL;
    }
    return kzalloc(size);
}

void ext4_mfree(void *p)
{
    if (!p)
        return;
    if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0) /* kmalloc's blocks follow a 16-byte header */
        page_free(virt_to_phys(p));
    else
        kfree(p);
}
