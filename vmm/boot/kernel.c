/* Kernel ELF checks and loading; see kernel.h. ELF: System V gABI ch. 5 (program headers). */
#include "vmm/boot/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/pvh.h"

int kernel_check(struct kernel_image *k, const void *data, size_t size, uint64_t ram_size,
                 char *why, size_t whylen)
{
    const char *msg = NULL;
    int rc = elf_parse(&k->elf, data, size, &msg);
    if (rc) {
        snprintf(why, whylen, "%s", msg);
        return rc;
    }
    k->entry = k->elf.eh->e_entry;
    k->start = UINT64_MAX;
    k->end = 0;
    for (unsigned i = 0; i < k->elf.phnum; i++) {
        const elf64_phdr *p = &k->elf.ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        if (p->p_paddr < HIMEM_START) {
            snprintf(why, whylen, "segment %u at 0x%llx is below 1 MiB", i,
                     (unsigned long long)p->p_paddr);
            return -EINVAL;
        }
        if (!mem_range_is_ram(ram_size, p->p_paddr, p->p_memsz)) {
            snprintf(why, whylen, "segment %u [0x%llx, 0x%llx) is outside guest RAM (%llu MiB)",
                     i, (unsigned long long)p->p_paddr,
                     (unsigned long long)(p->p_paddr + p->p_memsz),
                     (unsigned long long)(ram_size >> 20));
            return -EINVAL;
        }
        if (p->p_paddr < k->start)
            k->start = p->p_paddr;
        if (p->p_paddr + p->p_memsz > k->end)
            k->end = p->p_paddr + p->p_memsz;
    }
    if (k->end == 0) {
        snprintf(why, whylen, "ELF has no loadable segment");
        return -EINVAL;
    }
    return 0;
}

int kernel_open(struct kernel_image *k, const char *path, char *why, size_t whylen)
{
    struct stat st;
    memset(k, 0, sizeof(*k));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        int err = errno;
        snprintf(why, whylen, "%s", strerror(err));
        if (fd >= 0)
            close(fd);
        return -err;
    }
    if (st.st_size < 4) {
        close(fd);
        snprintf(why, whylen, "not an ELF file");
        return -ENOEXEC;
    }
    void *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(why, whylen, "cannot map: %s", strerror(err));
        return -err;
    }
    k->map = map;
    k->map_size = st.st_size;
    return 0;
}

void kernel_close(struct kernel_image *k)
{
    if (k->map)
        munmap(k->map, k->map_size);
    k->map = NULL;
    k->elf = (struct elf_image){ 0 };
}

int kernel_pvh_entry(const struct kernel_image *k, uint32_t *entry)
{
    const void *desc;
    uint32_t descsz;
    if (elf_find_note(&k->elf, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc, &descsz) ||
        descsz < sizeof(uint32_t))
        return -ENOENT;
    memcpy(entry, desc, sizeof(*entry)); /* 32-bit (or 64-bit, low half) little-endian */
    return 0;
}

int kernel_load(const struct kernel_image *k, const struct guest_mem *m)
{
    for (unsigned i = 0; i < k->elf.phnum; i++) {
        const elf64_phdr *p = &k->elf.ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        uint8_t *dst = guest_ptr(m, p->p_paddr, p->p_memsz);
        if (!dst)
            return -EFAULT;
        /* The tail up to p_memsz (.bss) is already zero in fresh RAM: leave it untouched. */
        memcpy(dst, k->elf.data + p->p_offset, p->p_filesz);
    }
    return 0;
}
