/* The program's address space (struct mm): regions (VMAs) with their rights, kept sorted, and the
 * page tables behind them. Pages are mapped at load, or filled on first touch: zeroes for anonymous
 * regions, the file's bytes for file-backed ones. Pages the address space owns carry PTE_OWNED
 * and are freed with it; others (the bootfs, pages a forked child shares read-only with its
 * suspended parent) are only unmapped.
 * One struct mm per process; threads will share it (so will a vfork child). Every function here
 * works on the current one (mm_switch), except mm_put. */
#ifndef MOTE_USPACE_H
#define MOTE_USPACE_H

#include "mote/types.h"

#define VMA_READ 1
#define VMA_WRITE 2
#define VMA_EXEC 4

struct inode;
struct mm;

struct mm *mm_create(void);
/* A copy of the current address space for a forked child: writable pages are copied, read-only
 * ones shared without ownership (the child ends before its parent runs again). */
struct mm *mm_fork(void);
void mm_get(struct mm *mm);
/* Drops a reference; the last one frees everything (the mm must not be the current one). */
void mm_put(struct mm *mm);
/* Makes mm the current thread's address space (and loads it). */
void mm_switch(struct mm *mm);
/* The scheduler: loads mm for the thread it switches to (its thread->mm). */
void mm_load(struct mm *mm);
/* Leaves the current address space for the kernel's own root (before the last mm_put of it). */
void mm_unload(void);
struct mm *mm_current(void);

/* Declares [start, end) (page-aligned) with the given VMA_* rights; file-backed when file is set
 * (page start holds file offset off). Returns 0, -EEXIST on overlap or -ENOMEM. */
int uspace_add(uint64_t start, uint64_t end, int prot);
int uspace_add_file(uint64_t start, uint64_t end, int prot, struct inode *file, uint64_t off);
/* Maps one page of a region now: pa (owned or not), or a fresh zeroed owned page when pa is 0. */
int uspace_map_page(uint64_t va, paddr_t pa, int prot, bool owned);
/* Maps n pages from va to the physical pages from pa on (not owned: kernel memory, the bootfs). */
int uspace_map_run(uint64_t va, paddr_t pa, uint64_t n, int prot);
/* True when every byte of [addr, addr+len) lies in regions that allow this access. */
bool user_range_ok(uint64_t addr, uint64_t len, bool write);
/* Copies a NUL-terminated string of at most max-1 bytes; returns its length, -EFAULT, or
 * -ENAMETOOLONG when no NUL comes within max bytes. */
long strncpy_from_user(char *dst, uint64_t src, size_t max);
int copy_to_user(uint64_t dst, const void *src, size_t len);
int copy_from_user(void *dst, uint64_t src, size_t len);

/* brk: the heap starts at start (page-aligned, above the program); returns the new break. */
void uspace_brk_init(uint64_t start);
uint64_t uspace_brk(uint64_t want);

/* The mmap family with Linux's arguments and errors (prot/flags as PROT_*, MAP_*, MREMAP_*). */
long uspace_mmap(uint64_t addr, uint64_t len, int prot, int flags, struct inode *file,
                 uint64_t off);
long uspace_munmap(uint64_t addr, uint64_t len);
long uspace_mprotect(uint64_t addr, uint64_t len, int prot);
long uspace_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen, int flags, uint64_t new_addr);
long uspace_madvise(uint64_t addr, uint64_t len, int advice);
/* A page the program may use cannot be had: the process ends with a report, as Linux's OOM
 * killer would end it (SIGKILL). Called from the fault path, whether the program or the kernel
 * (copying to the program in a system call) touched the page (linux/process.c). */
__noreturn void program_out_of_memory(uint64_t addr);

/* Bytes of program memory mapped now (for sysinfo and the reports). */
uint64_t uspace_resident(void);

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MADV_DONTNEED 4

#endif
