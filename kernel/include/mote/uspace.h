/* The program's address space: regions (VMAs) with their rights; pages either mapped at load or
 * filled with zeroes on first touch. */
#ifndef MOTE_USPACE_H
#define MOTE_USPACE_H

#include "mote/types.h"

#define VMA_READ 1
#define VMA_WRITE 2
#define VMA_EXEC 4

/* Declares [start, end) (page-aligned) with the given VMA_* rights. Returns 0 or -ENOMEM. */
int uspace_add(uint64_t start, uint64_t end, int prot);
/* Maps one page of a region now: pa, or a fresh zeroed page when pa is 0. */
int uspace_map_page(uint64_t va, paddr_t pa, int prot);
/* True when every byte of [addr, addr+len) lies in regions that allow this access. */
bool user_range_ok(uint64_t addr, uint64_t len, bool write);
/* Copies a NUL-terminated string of at most max-1 bytes; returns its length or -EFAULT. */
long strncpy_from_user(char *dst, uint64_t src, size_t max);
int copy_to_user(uint64_t dst, const void *src, size_t len);
int copy_from_user(void *dst, uint64_t src, size_t len);

/* brk: the heap starts at start (page-aligned, above the program); returns the new break. */
void uspace_brk_init(uint64_t start);
uint64_t uspace_brk(uint64_t want);

#endif
