/* The ELF program loader: an unmodified static x86-64 Linux executable (ET_EXEC, or static-PIE
 * ET_DYN) from the bootfs, run at CPL3. Read-only segments map the bootfs pages in place;
 * writable pages are copied; .bss past the file and the stack are filled on first touch. */
#include <errno.h>

#include "common/elf.h"
#include "linux/stack.h"
#include "mote/bootfs.h"
#include "mote/exec.h"
#include "mote/layout.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/uspace.h"
#include "mote/x86.h"

#define PIE_BASE 0x555555554000ull /* where Linux puts a static-PIE program without ASLR */
#define STACK_SIZE (8ull << 20)
#define STACK_IMAGE_PAGES 2

extern char __syscall_page[];

static int seg_prot(const elf64_phdr *p)
{
    return ((p->p_flags & PF_R) ? VMA_READ : 0) | ((p->p_flags & PF_W) ? VMA_WRITE : 0) |
           ((p->p_flags & PF_X) ? VMA_EXEC : 0);
}

static int load_segment(const struct bootfs_file *f, const elf64_phdr *p, uint64_t bias)
{
    uint64_t va = p->p_vaddr + bias;
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + p->p_memsz, PAGE_SIZE);
    uint64_t file_end = va + p->p_filesz;
    int prot = seg_prot(p);
    if (end > USER_TOP || start < PAGE_SIZE)
        return -EINVAL;
    int rc = uspace_add(start, end, prot);
    if (rc)
        return rc;
    /* In-place mapping needs the file offset and the address to agree modulo the page size. */
    bool shareable = !(prot & VMA_WRITE) && (va - p->p_offset) % PAGE_SIZE == 0;

    for (uint64_t page = start; page < end && page < file_end; page += PAGE_SIZE) {
        uint64_t from = MAX(page, va), to = MIN(page + PAGE_SIZE, file_end);
        /* Does this page hold bytes past the file that must read as zero? */
        bool zero_tail = page + PAGE_SIZE > file_end && va + p->p_memsz > file_end;
        paddr_t pa;
        if (shareable && !zero_tail) {
            pa = f->phys + (page - (va - p->p_offset));
        } else {
            pa = page_alloc();
            if (!pa)
                return -ENOMEM;
            memcpy((uint8_t *)phys_to_virt(pa) + (from - page),
                   f->data + p->p_offset + (from - va), to - from);
        }
        rc = uspace_map_page(page, pa, prot);
        if (rc)
            return rc;
    }
    /* Pages past the file are zero-fill: they come on first touch (uspace_fault). */
    return 0;
}

static void fill_random(uint8_t out[16])
{
    /* Not cryptographic: the entropy device comes with the Virtio issue. */
    uint64_t x = rdtsc() ^ 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 16; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = (uint8_t)x;
    }
}

static int build_stack(const struct elf_image *img, uint64_t bias, int argc,
                       const char *const argv[], int envc, const char *const envp[],
                       uint64_t *sp)
{
    int rc = uspace_add(USER_STACK_TOP - STACK_SIZE, USER_STACK_TOP, VMA_READ | VMA_WRITE);
    if (rc)
        return rc;
    uint64_t phdr = 0;
    for (unsigned i = 0; i < img->phnum; i++) {
        const elf64_phdr *p = &img->ph[i];
        if (p->p_type == PT_LOAD && img->eh->e_phoff >= p->p_offset &&
            img->eh->e_phoff < p->p_offset + p->p_filesz)
            phdr = p->p_vaddr + (img->eh->e_phoff - p->p_offset) + bias;
    }
    uint32_t a, b, c, hwcap;
    cpuid(1, 0, &a, &b, &c, &hwcap);
    const uint64_t auxv[] = {
        AT_PHDR,  phdr,           AT_PHENT, sizeof(elf64_phdr),
        AT_PHNUM, img->phnum,     AT_PAGESZ, PAGE_SIZE,
        AT_BASE,  0,              AT_FLAGS, 0,
        AT_ENTRY, img->eh->e_entry + bias,
        AT_UID,   0,              AT_EUID,  0,
        AT_GID,   0,              AT_EGID,  0,
        AT_SECURE, 0,             AT_HWCAP, hwcap,
        AT_CLKTCK, 100,
    };
    uint8_t random[16];
    fill_random(random);
    struct stack_spec spec = {argc, argv, envc, envp, auxv, ARRAY_SIZE(auxv) / 2, argv[0], random};

    /* Map the top pages now and build the image in place, through the program's mapping. */
    for (int i = 1; i <= STACK_IMAGE_PAGES; i++) {
        rc = uspace_map_page(USER_STACK_TOP - i * PAGE_SIZE, 0, VMA_READ | VMA_WRITE);
        if (rc)
            return rc;
    }
    size_t size = STACK_IMAGE_PAGES * PAGE_SIZE;
    long used = stack_build((uint8_t *)(USER_STACK_TOP - size), size, USER_STACK_TOP, &spec, sp);
    if (used < 0)
        return (int)used;
    return 0;
}

int exec_program(int argc, const char *const argv[], int envc, const char *const envp[],
                 struct exec_result *out)
{
    struct bootfs_file f;
    const char *path = argv[0];
    if (bootfs_lookup(path, &f)) {
        pr_err("exec: %s: no such file in the bootfs\n", path);
        return -ENOENT;
    }
    struct elf_image img;
    const char *why;
    int rc = elf_parse(&img, f.data, f.size, &why);
    if (rc) {
        pr_err("exec: %s: %s\n", path, why);
        return rc;
    }
    const char *interp = elf_interp(&img);
    if (interp) {
        pr_err("exec: %s: dynamic executables not supported yet (PT_INTERP=%s)\n", path, interp);
        return -ENOEXEC;
    }
    uint64_t bias = img.eh->e_type == ET_DYN ? PIE_BASE : 0;
    uint64_t top = 0;
    for (unsigned i = 0; i < img.phnum; i++) {
        const elf64_phdr *p = &img.ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        rc = load_segment(&f, p, bias);
        if (rc) {
            pr_err("exec: %s: cannot load segment at %lx (%d)\n", path, p->p_vaddr, rc);
            return rc;
        }
        top = MAX(top, ALIGN_UP(p->p_vaddr + bias + p->p_memsz, PAGE_SIZE));
    }
    uspace_brk_init(top);

    /* The system-call entry page, executable by the program (see traps.S). */
    rc = uspace_map_page(SYSCALL_PAGE, virt_to_phys(__syscall_page), VMA_READ | VMA_EXEC);
    if (rc == 0)
        rc = build_stack(&img, bias, argc, argv, envc, envp, &out->sp);
    if (rc) {
        pr_err("exec: %s: out of memory (%d)\n", path, rc);
        return rc;
    }
    out->entry = img.eh->e_entry + bias;
    return 0;
}
