/* The ELF program loader: an unmodified static x86-64 Linux executable (ET_EXEC, or static-PIE
 * ET_DYN without PT_INTERP) from the file tree, run at CPL3. Read-only segments of bootfs files map
 * the kernel image's pages in place; other pages are copied; .bss past the file and the stack are
 * filled on first touch. PT_TLS is the program's libc's business; PT_GNU_STACK decides whether
 * the stack is executable. */
#include <errno.h>

#include "common/elf.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/stack.h"
#include "mote/exec.h"
#include "mote/layout.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/random.h"
#include "mote/string.h"
#include "mote/uspace.h"
#include "mote/x86.h"

#define PIE_BASE 0x555555554000ull /* where Linux puts a static-PIE program without ASLR */
#define STACK_SIZE (8ull << 20)

extern char __syscall_page[];

static int seg_prot(const elf64_phdr *p)
{
    return ((p->p_flags & PF_R) ? VMA_READ : 0) | ((p->p_flags & PF_W) ? VMA_WRITE : 0) |
           ((p->p_flags & PF_X) ? VMA_EXEC : 0);
}

/* Copies file bytes into the user page at va through its physical page (it may be read-only). */
static void poke(uint64_t va, const uint8_t *src, size_t len)
{
    uint64_t *pte = pg_lookup(ALIGN_DOWN(va, PAGE_SIZE));
    memcpy((uint8_t *)phys_to_virt(*pte & PTE_ADDR) + (va & (PAGE_SIZE - 1)), src, len);
}

static int load_segment(struct inode *ino, const uint8_t *data, const elf64_phdr *p, uint64_t bias,
                        uint64_t *mapped_end)
{
    uint64_t va = p->p_vaddr + bias;
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + p->p_memsz, PAGE_SIZE);
    uint64_t file_end = va + p->p_filesz;
    int prot = seg_prot(p);
    if (end > USER_TOP || start < PAGE_SIZE || va + p->p_memsz < va)
        return -EINVAL;
    if (start < *mapped_end) {
        /* The first page is shared with the previous segment (no -z separate-code): give it both
         * segments' rights and copy this segment's bytes into it. */
        if (start + PAGE_SIZE != *mapped_end)
            return -EINVAL; /* overlapping segments */
        int rc = uspace_mprotect(start, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
        if (rc)
            return rc;
        uint64_t *pte = pg_lookup(start);
        if (!pte || !(*pte & PTE_P)) {
            rc = uspace_map_page(start, 0, VMA_READ | VMA_WRITE | VMA_EXEC, true);
            if (rc)
                return rc;
        }
        uint64_t to = MIN(start + PAGE_SIZE, file_end);
        if (to > va)
            poke(va, data + p->p_offset, to - va);
        start += PAGE_SIZE;
        if (start >= end) {
            *mapped_end = MAX(*mapped_end, end);
            return 0;
        }
    }
    int rc = uspace_add(start, end, prot);
    if (rc)
        return rc;
    *mapped_end = end;
    /* In-place mapping needs the file offset and the address to agree modulo the page size. */
    bool shareable = !(prot & VMA_WRITE) && (va - p->p_offset) % PAGE_SIZE == 0;
    uint64_t page = start;
    if (shareable) {
        /* The file's whole pages (a last one that must end in zeroes is copied below), mapped
         * as one run when the file lies in place (the bootfs: contiguous in the image). */
        uint64_t run_end = va + p->p_memsz > file_end ? ALIGN_DOWN(file_end, PAGE_SIZE)
                                                      : ALIGN_UP(file_end, PAGE_SIZE);
        run_end = MIN(run_end, end);
        paddr_t pa = start < run_end
                         ? ramfs_page_phys(ino, (start - (va - p->p_offset)) / PAGE_SIZE)
                         : 0;
        if (pa) {
            rc = uspace_map_run(start, pa, (run_end - start) / PAGE_SIZE, prot);
            if (rc)
                return rc;
            page = run_end;
        }
    }

    for (; page < end && page < file_end; page += PAGE_SIZE) {
        uint64_t from = MAX(page, va), to = MIN(page + PAGE_SIZE, file_end);
        /* Does this page hold bytes past the file that must read as zero? */
        bool zero_tail = page + PAGE_SIZE > file_end && va + p->p_memsz > file_end;
        paddr_t pa = 0;
        if (shareable && !zero_tail)
            pa = ramfs_page_phys(ino, (page - (va - p->p_offset)) / PAGE_SIZE);
        bool owned = !pa;
        if (!pa) {
            pa = page_alloc();
            if (!pa)
                return -ENOMEM;
            memcpy((uint8_t *)phys_to_virt(pa) + (from - page), data + p->p_offset + (from - va),
                   to - from);
        }
        rc = uspace_map_page(page, pa, prot, owned);
        if (rc) {
            if (owned)
                page_free(pa);
            return rc;
        }
    }
    /* Pages past the file are zero-fill: they come on first touch (uspace_fault). */
    return 0;
}

static int build_stack(const struct elf_image *img, uint64_t bias, int argc,
                       const char *const argv[], int envc, const char *const envp[],
                       const char *execfn, int stack_prot, uint64_t *sp)
{
    int rc = uspace_add(USER_STACK_TOP - STACK_SIZE, USER_STACK_TOP, stack_prot);
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
        AT_PHDR,   phdr,
        AT_PHENT,  sizeof(elf64_phdr),
        AT_PHNUM,  img->phnum,
        AT_PAGESZ, PAGE_SIZE,
        AT_BASE,   0,
        AT_FLAGS,  0,
        AT_ENTRY,  img->eh->e_entry + bias,
        AT_UID,    0,
        AT_EUID,   0,
        AT_GID,    0,
        AT_EGID,   0,
        AT_SECURE, 0,
        AT_HWCAP,  hwcap,
        AT_CLKTCK, 100,
    };
    uint8_t random[16];
    random_fill(random, sizeof(random));
    struct stack_spec spec = {argc, argv, envc, envp, auxv, ARRAY_SIZE(auxv) / 2, execfn, random};

    /* Map the top pages now and build the image in place, through the program's mapping. */
    uint64_t need = 512 + strlen(execfn) + 8 * (argc + envc);
    for (int i = 0; i < argc; i++)
        need += strlen(argv[i]) + 1;
    for (int i = 0; i < envc; i++)
        need += strlen(envp[i]) + 1;
    if (need > STACK_SIZE / 4)
        return -E2BIG;
    uint64_t pages = ALIGN_UP(need, PAGE_SIZE) / PAGE_SIZE + 1;
    for (uint64_t i = 1; i <= pages; i++) {
        rc = uspace_map_page(USER_STACK_TOP - i * PAGE_SIZE, 0, stack_prot, true);
        if (rc)
            return rc;
    }
    size_t size = pages * PAGE_SIZE;
    long used = stack_build((uint8_t *)(USER_STACK_TOP - size), size, USER_STACK_TOP, &spec, sp);
    if (used < 0)
        return (int)used;
    return 0;
}

#define EXEC_FAIL(msg, ...)                                                                        \
    do {                                                                                           \
        if (report)                                                                                \
            pr_err("exec: %s: " msg "\n", path, ##__VA_ARGS__);                                    \
    } while (0)

static int load_image(struct inode *ino, const struct elf_image *img, const uint8_t *data, int argc,
                      const char *const argv[], int envc, const char *const envp[],
                      const char *path, struct exec_result *out)
{
    uint64_t bias = img->eh->e_type == ET_DYN ? PIE_BASE : 0;
    uint64_t top = 0, mapped_end = 0;
    int stack_prot = VMA_READ | VMA_WRITE;
    for (unsigned i = 0; i < img->phnum; i++) {
        const elf64_phdr *p = &img->ph[i];
        if (p->p_type == PT_GNU_STACK && (p->p_flags & PF_X))
            stack_prot |= VMA_EXEC;
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        if (p->p_vaddr + bias < mapped_end - (mapped_end ? PAGE_SIZE : 0))
            return -EINVAL; /* PT_LOAD entries must come in address order (gABI) */
        int rc = load_segment(ino, data, p, bias, &mapped_end);
        if (rc)
            return rc;
        top = MAX(top, ALIGN_UP(p->p_vaddr + bias + p->p_memsz, PAGE_SIZE));
    }
    uspace_brk_init(top);
    /* The system-call entry page, executable by the program (see traps.S). */
    int rc =
        uspace_map_page(SYSCALL_PAGE, virt_to_phys(__syscall_page), VMA_READ | VMA_EXEC, false);
    if (rc == 0)
        rc = build_stack(img, bias, argc, argv, envc, envp, path, stack_prot, &out->sp);
    out->entry = img->eh->e_entry + bias;
    return rc;
}

int exec_program(const char *path, int argc, const char *const argv[], int envc,
                 const char *const envp[], bool report, struct exec_result *out)
{
    struct process *proc = process_current();
    struct inode *ino;
    int rc = vfs_lookup(proc->cwd, path, LOOKUP_FOLLOW, &ino);
    if (rc) {
        EXEC_FAIL("%s", rc == -ENOENT ? "no such file in the bootfs or the initrd"
                                      : "cannot resolve the path");
        return rc;
    }
    if (S_ISDIR(ino->mode)) {
        EXEC_FAIL("is a directory");
        return -EACCES;
    }
    if (!S_ISREG(ino->mode) || !(ino->mode & 0111)) {
        EXEC_FAIL("not an executable file");
        return -EACCES;
    }
    vfs_inode_get(ino);
    const uint8_t *data = ramfs_view(ino);
    struct elf_image img;
    const char *why = "empty file";
    rc = data ? elf_parse(&img, data, ino->size, &why) : -ENOEXEC;
    if (rc) {
        EXEC_FAIL("%s", why);
        rc = -ENOEXEC;
        goto out;
    }
    const char *interp = elf_interp(&img);
    if (interp) {
        EXEC_FAIL("dynamic executables not supported yet (PT_INTERP=%s)", interp);
        rc = -ENOEXEC;
        goto out;
    }
    struct mm *old = mm_current(), *mm = mm_create();
    if (!mm) {
        rc = -ENOMEM;
        EXEC_FAIL("out of memory");
        goto out;
    }
    mm_switch(mm);
    rc = load_image(ino, &img, data, argc, argv, envc, envp, path, out);
    if (rc) {
        EXEC_FAIL("cannot load (%d)", rc);
        if (old) {
            mm_switch(old);
            mm_put(mm);
        }
        goto out;
    }
    if (old)
        mm_put(old);
    proc->mm = mm;
    process_vfork_done(proc); /* a vfork parent goes on: the memory is no longer shared */
    process_set_exe(path);
out:
    ramfs_unview(ino, data);
    vfs_inode_put(ino);
    return rc;
}
