/* The program's address space; see uspace.h. Lazy regions (the stack, the heap, .bss past the
 * file) get a zeroed page on first touch, from uspace_fault. */
#include <errno.h>

#include "mote/layout.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/trap.h"
#include "mote/uspace.h"

#define MAX_VMAS 64
#define HEAP_MAX (1ull << 30)

struct vma {
    uint64_t start, end;
    int prot;
};

static struct vma vmas[MAX_VMAS];
static unsigned nvmas;
static uint64_t brk_start, brk_cur;
static int heap_vma = -1;

static uint64_t pte_flags(int prot)
{
    uint64_t f = PTE_U;
    if (prot & VMA_WRITE)
        f |= PTE_W;
    if (!(prot & VMA_EXEC))
        f |= PTE_NX;
    return f;
}

int uspace_add(uint64_t start, uint64_t end, int prot)
{
    if (nvmas == MAX_VMAS)
        return -ENOMEM;
    vmas[nvmas].start = start;
    vmas[nvmas].end = end;
    vmas[nvmas].prot = prot;
    nvmas++;
    return 0;
}

static const struct vma *find(uint64_t addr)
{
    for (unsigned i = 0; i < nvmas; i++)
        if (addr >= vmas[i].start && addr < vmas[i].end)
            return &vmas[i];
    return NULL;
}

int uspace_map_page(uint64_t va, paddr_t pa, int prot)
{
    if (!pa && !(pa = page_alloc()))
        return -ENOMEM;
    return pg_map(va, pa, pte_flags(prot));
}

bool uspace_fault(uint64_t addr, bool write, bool exec)
{
    const struct vma *v = find(addr);
    if (!v || (write && !(v->prot & VMA_WRITE)) || (exec && !(v->prot & VMA_EXEC)))
        return false;
    uint64_t *pte = pg_lookup(addr);
    if (pte && (*pte & PTE_P))
        return false; /* present, so a rights violation */
    return uspace_map_page(ALIGN_DOWN(addr, PAGE_SIZE), 0, v->prot) == 0;
}

bool user_range_ok(uint64_t addr, uint64_t len, bool write)
{
    if (addr >= USER_TOP || len > USER_TOP - addr)
        return false;
    uint64_t end = addr + len;
    while (addr < end) {
        const struct vma *v = find(addr);
        if (!v || (write && !(v->prot & VMA_WRITE)))
            return false;
        addr = v->end;
    }
    return true;
}

int copy_to_user(uint64_t dst, const void *src, size_t len)
{
    if (!user_range_ok(dst, len, true))
        return -EFAULT;
    memcpy((void *)dst, src, len);
    return 0;
}

int copy_from_user(void *dst, uint64_t src, size_t len)
{
    if (!user_range_ok(src, len, false))
        return -EFAULT;
    memcpy(dst, (const void *)src, len);
    return 0;
}

long strncpy_from_user(char *dst, uint64_t src, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (!user_range_ok(src + i, 1, false))
            return -EFAULT;
        dst[i] = *(const char *)(src + i);
        if (!dst[i])
            return i;
    }
    return -ENAMETOOLONG;
}

void uspace_brk_init(uint64_t start)
{
    brk_start = brk_cur = start;
    heap_vma = nvmas;
    uspace_add(start, start, VMA_READ | VMA_WRITE);
}

uint64_t uspace_brk(uint64_t want)
{
    if (heap_vma < 0 || want < brk_start || want - brk_start > HEAP_MAX)
        return brk_cur;
    uint64_t new_end = ALIGN_UP(want, PAGE_SIZE);
    for (unsigned i = 0; i < nvmas; i++)
        if ((int)i != heap_vma && vmas[i].start < new_end && vmas[i].end > brk_start)
            return brk_cur; /* would run into another region */
    uint64_t old_end = vmas[heap_vma].end;
    for (uint64_t va = new_end; va < old_end; va += PAGE_SIZE) {
        uint64_t *pte = pg_lookup(va);
        if (pte && (*pte & PTE_P)) {
            page_free(*pte & PTE_ADDR);
            pg_unmap(va);
        }
    }
    vmas[heap_vma].end = new_end;
    brk_cur = want;
    return brk_cur;
}
