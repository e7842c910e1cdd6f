/* ELF-64 image checks shared by monitor and kernel; see elf.h. System V gABI chapters 4-5. */
#include "elf.h"

#include <errno.h>
#include <stdbool.h>

static int fail(const char **why, const char *msg, int err)
{
    if (why)
        *why = msg;
    return err;
}

static int str_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

int elf_parse(struct elf_image *img, const void *data, size_t size, const char **why)
{
    const elf64_ehdr *eh = data;

    if (size < 4 || !str_eq((const char *)data, ELFMAG, 4))
        return fail(why, "not an ELF file", -ENOEXEC);
    if (size < sizeof(*eh))
        return fail(why, "truncated ELF header", -EINVAL);
    if (eh->e_ident[4] != ELFCLASS64)
        return fail(why, "not a 64-bit ELF", -ENOEXEC);
    if (eh->e_ident[5] != ELFDATA2LSB)
        return fail(why, "not a little-endian ELF", -ENOEXEC);
    if (eh->e_machine != EM_X86_64)
        return fail(why, "not an x86-64 ELF", -ENOEXEC);
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return fail(why, "not an executable ELF", -ENOEXEC);
    if (eh->e_phnum == 0)
        return fail(why, "ELF has no program headers", -EINVAL);
    if (eh->e_phentsize != sizeof(elf64_phdr))
        return fail(why, "ELF program header size is wrong", -EINVAL);
    if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(elf64_phdr) > size - eh->e_phoff)
        return fail(why, "truncated ELF program headers", -EINVAL);
    if (eh->e_phoff % 8)
        return fail(why, "misaligned ELF program headers", -EINVAL);

    const elf64_phdr *ph = (const elf64_phdr *)((const uint8_t *)data + eh->e_phoff);
    int loads = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const elf64_phdr *p = &ph[i];
        if (p->p_type != PT_LOAD && p->p_type != PT_NOTE && p->p_type != PT_INTERP &&
            p->p_type != PT_TLS)
            continue;
        if (p->p_offset > size || p->p_filesz > size - p->p_offset)
            return fail(why, "ELF segment extends past the end of the file", -EINVAL);
        if (p->p_type != PT_LOAD)
            continue;
        loads++;
        if (p->p_memsz < p->p_filesz)
            return fail(why, "ELF segment memsz < filesz", -EINVAL);
        if (p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_paddr + p->p_memsz < p->p_paddr)
            return fail(why, "ELF segment address overflows", -EINVAL);
        if (p->p_align > 1 && (p->p_vaddr - p->p_offset) % p->p_align)
            return fail(why, "ELF segment offset and address disagree on alignment", -EINVAL);
    }
    if (loads == 0)
        return fail(why, "ELF has no loadable segment", -EINVAL);

    img->data = data;
    img->size = size;
    img->eh = eh;
    img->ph = ph;
    img->phnum = eh->e_phnum;
    return 0;
}

int elf_find_note(const struct elf_image *img, const char *name, uint32_t type,
                  const void **desc, uint32_t *descsz)
{
    size_t namelen = 0;
    while (name[namelen])
        namelen++;

    for (unsigned i = 0; i < img->phnum; i++) {
        const elf64_phdr *p = &img->ph[i];
        if (p->p_type != PT_NOTE)
            continue;
        const uint8_t *n = img->data + p->p_offset;
        uint64_t left = p->p_filesz;
        while (left >= sizeof(elf64_nhdr)) {
            const elf64_nhdr *nh = (const elf64_nhdr *)n;
            uint64_t nsz = ((uint64_t)nh->n_namesz + 3) & ~3ull;
            uint64_t dsz = ((uint64_t)nh->n_descsz + 3) & ~3ull;
            if (nsz + dsz > left - sizeof(*nh))
                return -EINVAL;
            const char *nname = (const char *)(n + sizeof(*nh));
            if (nh->n_type == type && nh->n_namesz == namelen + 1 &&
                str_eq(nname, name, namelen + 1)) {
                *desc = n + sizeof(*nh) + nsz;
                *descsz = nh->n_descsz;
                return 0;
            }
            n += sizeof(*nh) + nsz + dsz;
            left -= sizeof(*nh) + nsz + dsz;
        }
    }
    return -ENOENT;
}

const char *elf_interp(const struct elf_image *img)
{
    for (unsigned i = 0; i < img->phnum; i++) {
        const elf64_phdr *p = &img->ph[i];
        if (p->p_type != PT_INTERP || p->p_filesz == 0)
            continue;
        const char *s = (const char *)img->data + p->p_offset;
        if (s[p->p_filesz - 1] != '\0')
            return "(unterminated)";
        return s;
    }
    return NULL;
}

/* The file offset of [vaddr, vaddr + len) when a PT_LOAD segment holds it in the file. */
static int vaddr_offset(const struct elf_image *img, uint64_t vaddr, uint64_t len, uint64_t *off)
{
    for (unsigned i = 0; i < img->phnum; i++) {
        const elf64_phdr *p = &img->ph[i];
        if (p->p_type != PT_LOAD || vaddr < p->p_vaddr || vaddr - p->p_vaddr > p->p_filesz ||
            len > p->p_filesz - (vaddr - p->p_vaddr))
            continue;
        *off = p->p_offset + (vaddr - p->p_vaddr);
        return 0;
    }
    return -EINVAL;
}

int elf_needed(const struct elf_image *img, int (*fn)(const char *name, void *arg), void *arg)
{
    const elf64_phdr *dyn = NULL;
    for (unsigned i = 0; i < img->phnum; i++)
        if (img->ph[i].p_type == PT_DYNAMIC)
            dyn = &img->ph[i];
    if (!dyn)
        return 0;
    if (dyn->p_offset > img->size || dyn->p_filesz > img->size - dyn->p_offset ||
        dyn->p_offset % 8)
        return -EINVAL;
    const elf64_dyn *d = (const elf64_dyn *)(img->data + dyn->p_offset);
    size_t n = dyn->p_filesz / sizeof(*d);
    uint64_t strtab = 0, strsz = 0, stroff;
    bool have_strtab = false;
    for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
        if (d[i].d_tag == DT_STRTAB) {
            strtab = d[i].d_val;
            have_strtab = true;
        } else if (d[i].d_tag == DT_STRSZ) {
            strsz = d[i].d_val;
        }
    }
    bool needs = false;
    for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++)
        needs |= d[i].d_tag == DT_NEEDED;
    if (!needs)
        return 0;
    if (!have_strtab || strsz == 0 || vaddr_offset(img, strtab, strsz, &stroff))
        return -EINVAL;
    const char *str = (const char *)img->data + stroff;
    if (str[strsz - 1] != '\0')
        return -EINVAL;
    for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
        if (d[i].d_tag != DT_NEEDED)
            continue;
        if (d[i].d_val >= strsz || str[d[i].d_val] == '\0')
            return -EINVAL;
        int r = fn(str + d[i].d_val, arg);
        if (r)
            return r;
    }
    return 0;
}
