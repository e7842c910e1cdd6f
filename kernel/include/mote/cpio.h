/* The cpio "newc" archive format (what `cpio -o -H newc` writes, and Linux's initramfs reads:
 * Documentation/driver-api/early-userspace/buffer-format.rst). Pure C over a buffer: the host unit
 * tests build it. */
#ifndef MOTE_CPIO_H
#define MOTE_CPIO_H

#include <stddef.h>
#include <stdint.h>

#define CPIO_NAME_MAX 4096 /* PATH_MAX, names longer than this are refused */

struct cpio_entry {
    const char *name; /* NUL-terminated, inside the archive */
    size_t namelen;   /* without the NUL */
    uint32_t mode, uid, gid, nlink, mtime, ino, devmajor, devminor;
    const uint8_t *data; /* file bytes (a symlink's target), inside the archive */
    size_t size;
};

struct cpio_iter {
    const uint8_t *buf;
    size_t len, pos;
};

void cpio_begin(struct cpio_iter *it, const void *buf, size_t len);
/* Reads the next entry. Returns 1 with *e filled; 0 at a TRAILER!!! entry (archives may be
 * concatenated: call again) and at the end of the buffer (it->pos == it->len; only zero padding
 * may come before it); or a negative errno: -EINVAL for a bad magic or a malformed header field,
 * -ENODATA for a header, name or data cut short, -ENAMETOOLONG. */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

#endif
