/* Device register windows (virtio-mmio slots, PCI memory BARs) mapped uncached in DEVICE_MAP, one
 * bump allocation per call. Intel SDM vol. 3 §11.12.3: PCD|PWT with the default PAT is UC. */
#include "mote/mm.h"
#include "mote/printk.h"

static uint64_t next_va = DEVICE_MAP;

void *ioremap(paddr_t pa, size_t len)
{
    paddr_t start = ALIGN_DOWN(pa, PAGE_SIZE);
    uint64_t size = ALIGN_UP(pa + len, PAGE_SIZE) - start;
    if (len == 0 || pa + len < pa || size > DEVICE_MAP + DEVICE_MAP_SIZE - next_va) {
        pr_err("ioremap: cannot map %lx+%lx\n", pa, (uint64_t)len);
        return NULL;
    }
    uint64_t va = next_va;
    for (uint64_t off = 0; off < size; off += PAGE_SIZE)
        if (pg_map(va + off, start + off, PTE_W | PTE_PCD | PTE_PWT | PTE_NX | PTE_G))
            return NULL;
    next_va += size;
    return (void *)(va + (pa - start));
}
