/* ELF-64 image checks shared by the monitor (loading the kernel) and the kernel (loading the
 * program): pure C over a buffer, no allocation, so it builds freestanding and for host tests. */
#ifndef COMMON_ELF_H
#define COMMON_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "abi/elf64.h"

struct elf_image {
    const uint8_t *data;
    size_t size;
    const elf64_ehdr *eh;
    const elf64_phdr *ph;   /* e_phnum entries, bounds-checked */
    unsigned phnum;
};

/* Checks that data[0..size) is a little-endian ELF-64 x86-64 executable (ET_EXEC or ET_DYN) whose
 * program headers and every segment's file bytes lie inside the buffer, with memsz >= filesz and
 * no address overflow. Returns 0, or -ENOEXEC (not ELF, wrong class/machine/type) or -EINVAL
 * (truncated or inconsistent); *why (if non-NULL) then names the problem in a few words. */
int elf_parse(struct elf_image *img, const void *data, size_t size, const char **why);

/* Finds the first note of the given owner name and type in the PT_NOTE segments.
 * Returns 0 and sets *desc and *descsz, or -ENOENT. Malformed notes end the search (-EINVAL). */
int elf_find_note(const struct elf_image *img, const char *name, uint32_t type,
                  const void **desc, uint32_t *descsz);

/* Returns the PT_INTERP string (checked to be NUL-terminated inside the file) or NULL. */
const char *elf_interp(const struct elf_image *img);

/* Calls fn(name, arg) for each DT_NEEDED library of a dynamically linked image, in order; fn
 * returning non-zero stops the walk with that value. Returns 0 (also when the image has no
 * PT_DYNAMIC), or -EINVAL when the dynamic segment or its string table is malformed (outside
 * the file or a loaded segment, unterminated names). */
int elf_needed(const struct elf_image *img, int (*fn)(const char *name, void *arg), void *arg);

#endif
