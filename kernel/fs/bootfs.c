/* The bootfs: files the build linked into the kernel image, read in place. */
#include <errno.h>

#include "abi/bootfs.h"
#include "mote/bootfs.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"

extern const uint8_t __bootfs_start[], __bootfs_end[];
static const struct bootfs_entry *entries;
static uint32_t count;
static bool flat; /* every name "/" + one component other than "." and ".." */

int bootfs_init(void)
{
    size_t size = __bootfs_end - __bootfs_start;
    const struct bootfs_header *h = (const void *)__bootfs_start;
    if (size == 0)
        return 0;
    if (size < sizeof(*h) || __builtin_memcmp(h->magic, BOOTFS_MAGIC, 8) != 0 ||
        h->total_size > size || h->count > (size - sizeof(*h)) / sizeof(struct bootfs_entry))
        return -EINVAL;
    const struct bootfs_entry *e = (const void *)(h + 1);
    flat = true;
    for (uint32_t i = 0; i < h->count; i++) {
        size_t n = strnlen(e[i].name, BOOTFS_NAME_MAX);
        if (e[i].offset % BOOTFS_ALIGN || e[i].offset > size || e[i].size > size - e[i].offset ||
            n == BOOTFS_NAME_MAX)
            return -EINVAL;
        const char *c = e[i].name + 1;
        if (n < 2 || e[i].name[0] != '/' || memchr(c, '/', n - 1) ||
            (c[0] == '.' && (n == 2 || (n == 3 && c[1] == '.'))))
            flat = false;
    }
    entries = e;
    count = h->count;
    return count;
}

bool bootfs_flat(void)
{
    return flat;
}

unsigned bootfs_count(void)
{
    return count;
}

static void fill(const struct bootfs_entry *e, struct bootfs_file *out)
{
    out->name = e->name;
    out->data = __bootfs_start + e->offset;
    out->phys = virt_to_phys(out->data);
    out->size = e->size;
    out->mode = e->mode;
}

int bootfs_lookup(const char *path, struct bootfs_file *out)
{
    for (uint32_t i = 0; i < count; i++) {
        if (strcmp(entries[i].name, path) == 0) {
            fill(&entries[i], out);
            return 0;
        }
    }
    return -ENOENT;
}

int bootfs_first(struct bootfs_file *out)
{
    if (!count)
        return -ENOENT;
    fill(&entries[0], out);
    return 0;
}

int bootfs_get(unsigned i, struct bootfs_file *out)
{
    if (i >= count)
        return -ENOENT;
    fill(&entries[i], out);
    out->mode = entries[i].mode;
    return 0;
}
