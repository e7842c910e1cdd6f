/* The program's address space; see uspace.h. VMAs live in one sorted array per mm (binary
 * search on faults and user-pointer checks); page-table ranges are walked with pg_walk_range,
 * which skips absent tables, so unmapping a large sparse region costs what is mapped in it. */
#include <errno.h>

#include "fs/vfs.h"
#include "mote/layout.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/trap.h"
#include "mote/uspace.h"

#define HEAP_MAX (1ull << 36)
/* The program's regions end below the system-call entry page: no call may map, unmap or
 * protect that page (a `syscall` with it gone would fault in the kernel). */
#define PROG_TOP SYSCALL_PAGE
#define STACK_REGION (8ull << 20)
#define MMAP_TOP (USER_STACK_TOP - STACK_REGION - (1ull << 20)) /* below the stack and a gap */
#define MMAP_BOTTOM (1ull << 32)                                /* well above a static program */

struct vma {
    uint64_t start, end;
    int prot;
    struct inode *file; /* file-backed: page start holds file offset off */
    uint64_t off;
};

struct mm {
    int refs;
    paddr_t root;
    struct vma *v;
    unsigned n, cap;
    uint64_t brk_start, brk_cur;
};

static struct mm *cur;

static uint64_t pte_flags(int prot)
{
    uint64_t f = PTE_U;
    if (prot & VMA_WRITE)
        f |= PTE_W;
    if (!(prot & VMA_EXEC))
        f |= PTE_NX;
    return f;
}

struct mm *mm_create(void)
{
    struct mm *mm = kzalloc(sizeof(*mm));
    if (!mm)
        return NULL;
    mm->root = pg_new_root();
    if (!mm->root) {
        kfree(mm);
        return NULL;
    }
    mm->refs = 1;
    return mm;
}

struct mm *mm_current(void)
{
    return cur;
}

void mm_switch(struct mm *mm)
{
    cur = mm;
    pg_switch(mm->root);
    current()->mm = mm; /* the scheduler loads it whenever this thread runs */
}

void mm_load(struct mm *mm)
{
    if (mm != cur) {
        cur = mm;
        pg_switch(mm->root);
    }
}

void mm_unload(void)
{
    cur = NULL;
    pg_switch_kernel();
    current()->mm = NULL;
}

void mm_get(struct mm *mm)
{
    mm->refs++;
}

void mm_put(struct mm *mm)
{
    if (--mm->refs > 0)
        return;
    if (mm == cur)
        panic("uspace: freeing the loaded address space");
    pg_free_user(mm->root);
    for (unsigned i = 0; i < mm->n; i++)
        if (mm->v[i].file)
            vfs_inode_put(mm->v[i].file);
    kfree(mm->v);
    kfree(mm);
}

/* Index of the first VMA that ends above addr (mm->n when none). */
static unsigned lower(const struct mm *mm, uint64_t addr)
{
    unsigned lo = 0, hi = mm->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (mm->v[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct vma *find(uint64_t addr)
{
    unsigned i = lower(cur, addr);
    return i < cur->n && cur->v[i].start <= addr ? &cur->v[i] : NULL;
}

static bool range_free(uint64_t start, uint64_t end)
{
    unsigned i = lower(cur, start);
    return i == cur->n || cur->v[i].start >= end;
}

static int insert_at(unsigned i, const struct vma *nv)
{
    if (cur->n == cur->cap) {
        unsigned cap = cur->cap ? cur->cap * 2 : 32;
        struct vma *v = krealloc(cur->v, cur->cap * sizeof(*v), cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        cur->v = v;
        cur->cap = cap;
    }
    if (i < cur->n)
        memmove(&cur->v[i + 1], &cur->v[i], (cur->n - i) * sizeof(*nv));
    cur->v[i] = *nv;
    if (nv->file)
        vfs_inode_get(nv->file);
    cur->n++;
    return 0;
}

static void remove_at(unsigned i)
{
    if (cur->v[i].file)
        vfs_inode_put(cur->v[i].file);
    memmove(&cur->v[i], &cur->v[i + 1], (cur->n - i - 1) * sizeof(struct vma));
    cur->n--;
}

int uspace_add_file(uint64_t start, uint64_t end, int prot, struct inode *file, uint64_t off)
{
    if (start >= end || end > PROG_TOP)
        return -EINVAL;
    struct vma nv = {start, end, prot, file, off};
    /* Above every region (exec lays its segments out in order): append, nothing to search. */
    if (cur->n == 0 || start >= cur->v[cur->n - 1].end)
        return insert_at(cur->n, &nv);
    if (!range_free(start, end))
        return -EEXIST;
    return insert_at(lower(cur, start), &nv);
}

int uspace_add(uint64_t start, uint64_t end, int prot)
{
    return uspace_add_file(start, end, prot, NULL, 0);
}

/* Joins neighbours in [start, end] that continue each other (same rights, same file at the
 * next offset), as Linux does: mremap and mprotect see one region where the program made one. */
static void merge_range(uint64_t start, uint64_t end)
{
    unsigned i = lower(cur, start ? start - 1 : 0);
    while (i + 1 < cur->n && cur->v[i].start <= end) {
        struct vma *a = &cur->v[i], *b = &cur->v[i + 1];
        if (a->end == b->start && a->prot == b->prot && a->file == b->file &&
            (!a->file || a->off + (a->end - a->start) == b->off)) {
            a->end = b->end;
            remove_at(i + 1);
        } else {
            i++;
        }
    }
}

/* Splits the VMA that strictly contains addr into two at addr. */
static int split_at(uint64_t addr)
{
    unsigned i = lower(cur, addr);
    if (i == cur->n || cur->v[i].start >= addr)
        return 0;
    struct vma hi = cur->v[i];
    hi.off += addr - hi.start;
    hi.start = addr;
    int rc = insert_at(i + 1, &hi);
    if (rc)
        return rc;
    cur->v[i].end = addr;
    return 0;
}

int uspace_map_page(uint64_t va, paddr_t pa, int prot, bool owned)
{
    if (!pa) {
        if (!(pa = page_alloc()))
            return -ENOMEM;
        owned = true;
    }
    int rc = pg_map(va, pa, pte_flags(prot) | (owned ? PTE_OWNED : 0));
    if (rc && owned)
        page_free(pa);
    return rc;
}

int uspace_map_run(uint64_t va, paddr_t pa, uint64_t n, int prot)
{
    uint64_t flags = pte_flags(prot);
    for (uint64_t i = 0; i < n; i++) {
        int rc = pg_map(va + i * PAGE_SIZE, pa + i * PAGE_SIZE, flags);
        if (rc)
            return rc;
    }
    return 0;
}

static void clear_pte(uint64_t va, uint64_t *pte, void *arg)
{
    if (*pte & PTE_OWNED)
        page_free(*pte & PTE_ADDR);
    *pte = 0;
}

/* Unmaps [start, end): pages freed (when owned), VMAs cut and removed. */
static int unmap_range(uint64_t start, uint64_t end)
{
    int rc = split_at(start);
    if (!rc)
        rc = split_at(end);
    if (rc)
        return rc;
    pg_walk_range(start, end, clear_pte, NULL);
    pg_flush();
    unsigned i = lower(cur, start);
    while (i < cur->n && cur->v[i].start < end)
        remove_at(i);
    return 0;
}

/* Fills the page at va of v: the file's bytes (zero past its end), or zeroes. */
static bool fill_page(const struct vma *v, uint64_t va)
{
    paddr_t pa = page_alloc();
    if (!pa)
        return false;
    if (v->file) {
        uint64_t off = v->off + (va - v->start);
        vfs_read_kernel(v->file, phys_to_virt(pa), PAGE_SIZE, off);
    }
    if (uspace_map_page(va, pa, v->prot, true)) {
        page_free(pa);
        return false;
    }
    return true;
}

bool uspace_fault(uint64_t addr, bool write, bool exec)
{
    if (!cur)
        return false;
    const struct vma *v = find(addr);
    if (!v || !v->prot || (write && !(v->prot & VMA_WRITE)) || (exec && !(v->prot & VMA_EXEC)))
        return false;
    uint64_t *pte = pg_lookup(addr);
    if (pte && (*pte & PTE_P))
        return false; /* present, so a rights violation */
    if (!fill_page(v, ALIGN_DOWN(addr, PAGE_SIZE)))
        program_out_of_memory(addr); /* also when the kernel touched it, inside a system call */
    return true;
}

bool user_range_ok(uint64_t addr, uint64_t len, bool write)
{
    if (addr >= USER_TOP || len > USER_TOP - addr)
        return false;
    if (len == 0)
        return true;
    uint64_t end = addr + len;
    unsigned i = lower(cur, addr);
    while (addr < end) {
        if (i == cur->n)
            return false;
        const struct vma *v = &cur->v[i++];
        if (v->start > addr || !v->prot || (write && !(v->prot & VMA_WRITE)))
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
    size_t i = 0;
    while (i < max) {
        /* Check a page at a time, then find the NUL and copy with one string instruction each. */
        const struct vma *v = src + i < USER_TOP ? find(src + i) : NULL;
        if (!v || !v->prot)
            return -EFAULT;
        uint64_t stop = MIN(v->end, ALIGN_DOWN(src + i, PAGE_SIZE) + PAGE_SIZE);
        size_t chunk = MIN(stop - (src + i), max - i);
        size_t n = strnlen((const char *)(src + i), chunk);
        memcpy(dst + i, (const char *)(src + i), n);
        i += n;
        if (n < chunk) {
            dst[i] = '\0';
            return i;
        }
    }
    return -ENAMETOOLONG;
}

/* ---- brk ---- */

void uspace_brk_init(uint64_t start)
{
    cur->brk_start = cur->brk_cur = start;
}

uint64_t uspace_brk(uint64_t want)
{
    struct mm *mm = cur;
    if (want < mm->brk_start || want - mm->brk_start > HEAP_MAX)
        return mm->brk_cur;
    uint64_t old_end = ALIGN_UP(mm->brk_cur, PAGE_SIZE), new_end = ALIGN_UP(want, PAGE_SIZE);
    if (new_end > old_end) {
        if (!range_free(old_end, new_end))
            return mm->brk_cur; /* would run into another region */
        struct vma *v = old_end > mm->brk_start ? find(old_end - 1) : NULL;
        if (v && v->end == old_end && !v->file)
            v->end = new_end;
        else if (uspace_add(old_end, new_end, VMA_READ | VMA_WRITE))
            return mm->brk_cur;
    } else if (new_end < old_end) {
        unmap_range(new_end, old_end);
    }
    mm->brk_cur = want;
    return want;
}

/* ---- mmap family ---- */

static int to_vma_prot(int prot)
{
    return prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
}

/* The highest free gap of len bytes below MMAP_TOP, or 0. */
static uint64_t find_gap(uint64_t len)
{
    uint64_t top = MMAP_TOP;
    unsigned i = lower(cur, top);
    for (;;) {
        /* VMAs [0, i) lie below top, though v[i-1] may reach above it. */
        uint64_t floor = i ? cur->v[i - 1].end : MMAP_BOTTOM;
        if (floor < MMAP_BOTTOM)
            floor = MMAP_BOTTOM;
        if (top >= floor && top - floor >= len)
            return top - len;
        if (i == 0 || cur->v[i - 1].start <= MMAP_BOTTOM)
            return 0;
        i--;
        top = MIN(top, cur->v[i].start);
    }
}

long uspace_mmap(uint64_t addr, uint64_t len, int prot, int flags, struct inode *file, uint64_t off)
{
    if (len == 0 || (off & (PAGE_SIZE - 1)) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    int type = flags & MAP_TYPE;
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (len > PROG_TOP)
        return -ENOMEM;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (addr & (PAGE_SIZE - 1))
            return -EINVAL;
        if (addr >= PROG_TOP || len > PROG_TOP - addr || addr < PAGE_SIZE)
            return -ENOMEM;
        if (!range_free(addr, addr + len)) {
            if (flags & MAP_FIXED_NOREPLACE)
                return -EEXIST;
            int rc = unmap_range(addr, addr + len);
            if (rc)
                return rc;
        }
    } else {
        addr = ALIGN_DOWN(addr, PAGE_SIZE);
        if (!addr || addr >= PROG_TOP || len > PROG_TOP - addr || addr < MMAP_BOTTOM ||
            !range_free(addr, addr + len))
            addr = find_gap(len);
        if (!addr)
            return -ENOMEM;
    }
    int rc = uspace_add_file(addr, addr + len, to_vma_prot(prot), file, off);
    if (rc)
        return rc;
    merge_range(addr, addr + len);
    return addr;
}

long uspace_munmap(uint64_t addr, uint64_t len)
{
    if ((addr & (PAGE_SIZE - 1)) || len == 0 || addr >= PROG_TOP || len > PROG_TOP - addr)
        return -EINVAL;
    return unmap_range(addr, addr + ALIGN_UP(len, PAGE_SIZE));
}

/* All of [start, end) mapped? */
static bool fully_mapped(uint64_t start, uint64_t end)
{
    unsigned i = lower(cur, start);
    while (start < end) {
        if (i == cur->n || cur->v[i].start > start)
            return false;
        start = cur->v[i++].end;
    }
    return true;
}

struct protect_arg {
    uint64_t flags;
    int err;
};

static void protect_pte(uint64_t va, uint64_t *pte, void *arg)
{
    struct protect_arg *a = arg;
    uint64_t e = *pte;
    paddr_t pa = e & PTE_ADDR;
    if ((a->flags & PTE_W) && !(e & PTE_OWNED)) {
        /* A shared page (bootfs, or a suspended parent's) becomes writable: copy it first. */
        paddr_t copy = page_alloc_dirty();
        if (!copy) {
            a->err = -ENOMEM;
            return;
        }
        memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
        pa = copy;
        e |= PTE_OWNED;
    }
    *pte = pa | a->flags | (e & PTE_OWNED) | PTE_P | PTE_A | PTE_D;
}

long uspace_mprotect(uint64_t addr, uint64_t len, int prot)
{
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    prot &= ~0x03000000; /* PROT_GROWSDOWN / PROT_GROWSUP: nothing grows here */
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    if (len == 0)
        return 0;
    if (addr >= PROG_TOP || len > PROG_TOP - addr)
        return -ENOMEM;
    uint64_t end = addr + ALIGN_UP(len, PAGE_SIZE);
    if (!fully_mapped(addr, end))
        return -ENOMEM;
    int rc = split_at(addr);
    if (!rc)
        rc = split_at(end);
    if (rc)
        return rc;
    for (unsigned i = lower(cur, addr); i < cur->n && cur->v[i].start < end; i++)
        cur->v[i].prot = to_vma_prot(prot);
    struct protect_arg a = {pte_flags(to_vma_prot(prot)), 0};
    pg_walk_range(addr, end, protect_pte, &a);
    pg_flush();
    merge_range(addr, end);
    return a.err;
}

struct move_arg {
    uint64_t from, to;
    int err;
};

static void move_pte(uint64_t va, uint64_t *pte, void *arg)
{
    struct move_arg *a = arg;
    uint64_t e = *pte;
    if (!a->err &&
        pg_map(va - a->from + a->to, e & PTE_ADDR, e & ~(PTE_ADDR | PTE_P | PTE_A | PTE_D)))
        a->err = -ENOMEM;
    else
        *pte = 0;
}

long uspace_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen, int flags, uint64_t new_addr)
{
    if ((old & (PAGE_SIZE - 1)) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) || newlen == 0 ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
        return -EINVAL;
    if (oldlen > PROG_TOP || newlen > PROG_TOP)
        return -ENOMEM;
    oldlen = ALIGN_UP(oldlen, PAGE_SIZE);
    newlen = ALIGN_UP(newlen, PAGE_SIZE);
    struct vma *v = old < USER_TOP ? find(old) : NULL;
    if (!v || oldlen == 0 || old + oldlen > v->end)
        return -EFAULT;
    if (!(flags & MREMAP_FIXED)) {
        if (newlen <= oldlen) {
            if (newlen < oldlen)
                unmap_range(old + newlen, old + oldlen);
            return old;
        }
        /* Grow in place when the region ends here and the space above is free. */
        if (old + oldlen == v->end && old + newlen <= PROG_TOP && old + newlen > old &&
            range_free(old + oldlen, old + newlen)) {
            v->end = old + newlen;
            return old;
        }
        if (!(flags & MREMAP_MAYMOVE))
            return -ENOMEM;
        new_addr = find_gap(newlen);
        if (!new_addr)
            return -ENOMEM;
    } else {
        if ((new_addr & (PAGE_SIZE - 1)) || new_addr >= PROG_TOP || newlen > PROG_TOP - new_addr)
            return -EINVAL;
        if (new_addr < old + oldlen && old < new_addr + newlen)
            return -EINVAL; /* overlapping move */
        int rc = unmap_range(new_addr, new_addr + newlen);
        if (rc)
            return rc;
        v = find(old);
    }
    struct vma nv = *v;
    nv.off += old - v->start;
    nv.start = new_addr;
    nv.end = new_addr + newlen;
    int rc = insert_at(lower(cur, new_addr), &nv);
    if (rc)
        return rc;
    uint64_t moved = MIN(oldlen, newlen);
    struct move_arg a = {old, new_addr, 0};
    pg_walk_range(old, old + moved, move_pte, &a);
    unmap_range(old, old + oldlen);
    return a.err ? a.err : (long)new_addr;
}

long uspace_madvise(uint64_t addr, uint64_t len, int advice)
{
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    if (len == 0)
        return 0;
    if (addr >= PROG_TOP || len > PROG_TOP - addr)
        return -EINVAL;
    uint64_t end = addr + ALIGN_UP(len, PAGE_SIZE);
    if (!fully_mapped(addr, end))
        return -ENOMEM;
    if (advice == MADV_DONTNEED) {
        /* The next touch reads zeroes (anonymous) or the file again (file-backed). */
        pg_walk_range(addr, end, clear_pte, NULL);
        pg_flush();
    }
    return 0; /* every other advice is only a hint */
}

/* ---- fork ---- */

struct fork_arg {
    paddr_t child_root;
    int prot;
    int err;
};

static void fork_pte(uint64_t va, uint64_t *pte, void *arg)
{
    struct fork_arg *a = arg;
    if (a->err)
        return;
    uint64_t e = *pte;
    paddr_t pa = e & PTE_ADDR;
    uint64_t flags = e & ~(PTE_ADDR | PTE_OWNED | PTE_P | PTE_A | PTE_D);
    bool owned = false;
    /* Every page the parent owns is copied, read-only ones too: parent and child run side by
     * side, and either may unmap or make writable a page the other still maps. Pages nobody
     * owns (bootfs, initrd files read in place) are shared. */
    if (e & PTE_OWNED) {
        paddr_t copy = page_alloc_dirty();
        if (!copy) {
            a->err = -ENOMEM;
            return;
        }
        memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
        pa = copy;
        owned = true;
    }
    if (pg_map_in(a->child_root, va, pa, flags | (owned ? PTE_OWNED : 0))) {
        if (owned)
            page_free(pa);
        a->err = -ENOMEM;
    }
}

struct mm *mm_fork(void)
{
    struct mm *parent = cur, *child = mm_create();
    if (!child)
        return NULL;
    unsigned cap = MAX(parent->cap, 1u);
    child->v = kmalloc(cap * sizeof(struct vma));
    if (!child->v) {
        mm_put(child);
        return NULL;
    }
    memcpy(child->v, parent->v, parent->n * sizeof(struct vma));
    child->n = parent->n;
    child->cap = cap;
    child->brk_start = parent->brk_start;
    child->brk_cur = parent->brk_cur;
    for (unsigned i = 0; i < child->n; i++)
        if (child->v[i].file)
            vfs_inode_get(child->v[i].file);
    struct fork_arg a = {child->root, 0, 0};
    for (unsigned i = 0; i < parent->n && !a.err; i++) {
        a.prot = parent->v[i].prot;
        pg_walk_range(parent->v[i].start, parent->v[i].end, fork_pte, &a);
    }
    /* The system-call entry page lies outside every VMA. */
    uint64_t *sp = pg_lookup(SYSCALL_PAGE);
    if (!a.err && sp && (*sp & PTE_P) &&
        pg_map_in(child->root, SYSCALL_PAGE, *sp & PTE_ADDR,
                  *sp & ~(PTE_ADDR | PTE_OWNED | PTE_P | PTE_A | PTE_D)))
        a.err = -ENOMEM;
    if (a.err) {
        mm_put(child);
        return NULL;
    }
    return child;
}

static void count_pte(uint64_t va, uint64_t *pte, void *arg)
{
    (*(uint64_t *)arg)++;
}

uint64_t uspace_resident(void)
{
    uint64_t n = 0;
    if (cur)
        pg_walk_range(0, USER_TOP, count_pte, &n);
    return n * PAGE_SIZE;
}
