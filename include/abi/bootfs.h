/* Mote's bootfs: files linked into the kernel ELF by the build (the seed's RAM-FS-in-the-ELF way),
 * so a monitor without an initrd can still hand the kernel its program. Written by
 * tools/mkbootfs on the host, read in place by the kernel. Each file's data starts on a page
 * boundary so that read-only program pages can be mapped rather than copied. */
#ifndef ABI_BOOTFS_H
#define ABI_BOOTFS_H

#include <stdint.h>

#define BOOTFS_MAGIC "MOTEBFS1"
#define BOOTFS_NAME_MAX 112
#define BOOTFS_ALIGN 4096

struct bootfs_header {
    char magic[8];
    uint32_t count;         /* number of entries that follow */
    uint32_t reserved;
    uint64_t total_size;    /* whole image, header and data */
};
_Static_assert(sizeof(struct bootfs_header) == 24, "bootfs header");

struct bootfs_entry {
    char name[BOOTFS_NAME_MAX]; /* absolute path, NUL-terminated, e.g. "/hello" */
    uint32_t mode;              /* st_mode bits (0100755 for a program) */
    uint32_t reserved;
    uint64_t offset;            /* from the start of the image, BOOTFS_ALIGN-aligned */
    uint64_t size;
};
_Static_assert(sizeof(struct bootfs_entry) == 136, "bootfs entry");

#endif
