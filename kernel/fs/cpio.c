/* cpio "newc" (and "crc", 070702) archive reader; see cpio.h. Each header is 110 ASCII bytes:
 * the magic 070701 and thirteen 8-digit hex fields; the name and the data are each padded to a
 * multiple of 4 bytes from the start of the archive. */
#include "mote/cpio.h"

#include <errno.h>

#include "mote/string.h"

#define HDR_LEN 110

/* Eight ASCII hex digits at once (SWAR: every byte of a 64-bit word in parallel): the boot
 * parses each header at CPL0, where PVM charges ~2.8 us an instruction, so ~25 instructions
 * per field instead of ~80. A byte x < 0x80 is >= lo when x + (0x80 - lo) has bit 7 set, and
 * > hi when x + (0x7f - hi) has. */
#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

static int hex8(const uint8_t *p, uint32_t *out)
{
    uint64_t v;
    memcpy(&v, p, 8); /* p[0] in the low byte */
    if (v & HIGH)
        return -EINVAL;
    uint64_t l = v | 0x20 * ONES; /* letters to lower case; digits keep bit 5 */
    uint64_t digit = (l + (0x80 - 0x30) * ONES) & ~(l + (0x7f - 0x39) * ONES) & HIGH;
    uint64_t letter = (l + (0x80 - 0x61) * ONES) & ~(l + (0x7f - 0x66) * ONES) & HIGH;
    if ((digit | letter) != HIGH)
        return -EINVAL;
    uint64_t n = (l & 0x0f * ONES) + (letter >> 7) * 9; /* each byte: its digit's value */
    /* Byte i holds digit i (most significant first): pair them, then gather the four bytes. */
    n = ((n & 0x0f000f000f000f00ull) >> 8) | ((n & 0x000f000f000f000full) << 4);
    *out = (uint32_t)((n & 0xff) << 24 | ((n >> 16) & 0xff) << 16 | ((n >> 32) & 0xff) << 8 |
                      ((n >> 48) & 0xff));
    return 0;
}

static size_t pad4(size_t x)
{
    return (x + 3) & ~(size_t)3;
}

void cpio_begin(struct cpio_iter *it, const void *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->pos = 0;
}

static int is_trailer(const char *name, size_t n)
{
    static const char t[] = "TRAILER!!!";
    if (n != sizeof(t) - 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (name[i] != t[i])
            return 0;
    return 1;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
    /* Linux accepts zero padding between (and after) archives: skip it, 4 bytes at a time. */
    while (it->len - it->pos >= 4 && !it->buf[it->pos] && !it->buf[it->pos + 1] &&
           !it->buf[it->pos + 2] && !it->buf[it->pos + 3])
        it->pos += 4;
    size_t left = it->len - it->pos;
    if (left == 0 || (left < 4 && !it->buf[it->pos])) {
        it->pos = it->len;
        return 0;
    }
    if (left < HDR_LEN)
        return -ENODATA;
    const uint8_t *h = it->buf + it->pos;
    static const char magic[] = "07070";
    for (int i = 0; i < 5; i++)
        if (h[i] != (uint8_t)magic[i])
            return -EINVAL;
    if (h[5] != '1' && h[5] != '2')
        return -EINVAL;
    uint32_t f[13];
    int bad = 0;
    for (int i = 0; i < 13; i++)
        bad |= hex8(h + 6 + 8 * i, &f[i]);
    if (bad)
        return -EINVAL;
    e->ino = f[0];
    e->mode = f[1];
    e->uid = f[2];
    e->gid = f[3];
    e->nlink = f[4];
    e->mtime = f[5];
    e->size = f[6];
    e->devmajor = f[7];
    e->devminor = f[8];
    uint32_t namesize = f[11];
    if (namesize == 0)
        return -EINVAL; /* the name includes its NUL */
    if (namesize > CPIO_NAME_MAX)
        return -ENAMETOOLONG;
    if (left - HDR_LEN < namesize)
        return -ENODATA;
    const char *name = (const char *)h + HDR_LEN;
    if (name[namesize - 1] != '\0')
        return -EINVAL;
    if (strnlen(name, namesize) != namesize - 1)
        return -EINVAL; /* embedded NUL */
    e->name = name;
    e->namelen = namesize - 1;
    size_t data_off = pad4(it->pos + HDR_LEN + namesize);
    if (data_off > it->len || it->len - data_off < e->size)
        return -ENODATA;
    e->data = it->buf + data_off;
    it->pos = data_off + e->size;
    it->pos = pad4(it->pos) > it->len ? it->len : pad4(it->pos);
    if (is_trailer(e->name, e->namelen))
        return 0;
    return 1;
}
