/* The bootfs linked into the kernel image (include/abi/bootfs.h). */
#ifndef MOTE_BOOTFS_H
#define MOTE_BOOTFS_H

#include "mote/types.h"

struct bootfs_file {
    const char *name;
    const uint8_t *data; /* in the kernel image; page-aligned */
    paddr_t phys;
    uint64_t size;
    uint32_t mode;
};

/* Checks the image once; returns the number of files, or a negative errno when it is broken. */
int bootfs_init(void);
int bootfs_lookup(const char *path, struct bootfs_file *out);
/* The first file of the image (the default program), or -ENOENT. */
int bootfs_first(struct bootfs_file *out);
/* Whether every file lies directly under / ("/name", not "/." or "/.."): checked by bootfs_init. */
bool bootfs_flat(void);
/* The number of files (0 before bootfs_init or when it failed). */
unsigned bootfs_count(void);
/* The i-th file, or -ENOENT past the last. */
int bootfs_get(unsigned i, struct bootfs_file *out);

#endif
