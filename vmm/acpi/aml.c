/* AML byte writer; see aml.h. Encodings: ACPI 6.5 §20.2 (AML grammar), §6.4 (resources). */
#include "vmm/acpi/aml.h"

#include <errno.h>
#include <string.h>

#define RES_MEMORY32_FIXED 0x86
#define RES_EXT_INTERRUPT 0x89
#define RES_IO 0x47
#define RES_END_TAG 0x79

void aml_init(struct aml_buf *b, void *buf, size_t cap)
{
    b->p = buf;
    b->len = 0;
    b->cap = cap;
    b->err = 0;
}

static int room(struct aml_buf *b, size_t n)
{
    if (b->err || n > b->cap - b->len) {
        b->err = -ENOSPC;
        return 0;
    }
    return 1;
}

void aml_bytes(struct aml_buf *b, const void *data, size_t len)
{
    if (!room(b, len))
        return;
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

void aml_byte(struct aml_buf *b, uint8_t v)
{
    aml_bytes(b, &v, 1);
}

static void le(struct aml_buf *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        aml_byte(b, (uint8_t)(v >> (8 * i)));
}

/* Inserts len bytes at offset at, moving what follows. */
static void insert(struct aml_buf *b, size_t at, const uint8_t *data, size_t len)
{
    if (at > b->len || !room(b, len))
        return;
    memmove(b->p + at + len, b->p + at, b->len - at);
    memcpy(b->p + at, data, len);
    b->len += len;
}

void aml_name_string(struct aml_buf *b, const char *path)
{
    unsigned segs = 1;

    if (*path == '\\')
        aml_byte(b, *path++);
    for (const char *c = path; *c; c++)
        segs += *c == '.';
    if (strlen(path) != segs * 5 - 1) {
        b->err = b->err ? b->err : -EINVAL; /* a segment that is not four characters */
        return;
    }
    if (segs == 2) {
        aml_byte(b, 0x2e); /* DualNamePrefix */
    } else if (segs > 2) {
        aml_byte(b, 0x2f); /* MultiNamePrefix */
        aml_byte(b, (uint8_t)segs);
    }
    for (unsigned i = 0; i < segs; i++)
        aml_bytes(b, path + i * 5, 4);
}

void aml_integer(struct aml_buf *b, uint64_t v)
{
    if (v <= 1) {
        aml_byte(b, v ? AML_ONE : AML_ZERO);
    } else if (v <= 0xff) {
        aml_byte(b, AML_BYTE_PREFIX);
        le(b, v, 1);
    } else if (v <= 0xffff) {
        aml_byte(b, AML_WORD_PREFIX);
        le(b, v, 2);
    } else if (v <= 0xffffffff) {
        aml_byte(b, AML_DWORD_PREFIX);
        le(b, v, 4);
    } else {
        aml_byte(b, AML_QWORD_PREFIX);
        le(b, v, 8);
    }
}

void aml_string(struct aml_buf *b, const char *s)
{
    aml_byte(b, AML_STRING_PREFIX);
    aml_bytes(b, s, strlen(s) + 1);
}

static unsigned hex(char c)
{
    return c >= '0' && c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10) & 0xf;
}

void aml_eisaid(struct aml_buf *b, const char *id)
{
    /* Three letters in 5 bits each ('A' = 1), four hex digits; stored big-endian. */
    uint32_t v = (uint32_t)((id[0] - '@') & 0x1f) << 26 | (uint32_t)((id[1] - '@') & 0x1f) << 21 |
                 (uint32_t)((id[2] - '@') & 0x1f) << 16 | hex(id[3]) << 12 | hex(id[4]) << 8 |
                 hex(id[5]) << 4 | hex(id[6]);
    aml_byte(b, AML_DWORD_PREFIX);
    for (int i = 3; i >= 0; i--)
        aml_byte(b, (uint8_t)(v >> (8 * i)));
}

void aml_name(struct aml_buf *b, const char *path)
{
    aml_byte(b, AML_NAME);
    aml_name_string(b, path);
}

void aml_close(struct aml_buf *b, size_t mark)
{
    uint8_t enc[4];
    size_t body, n;

    if (b->err || mark > b->len)
        return;
    body = b->len - mark;
    if (body + 1 < 0x40) {
        enc[0] = (uint8_t)(body + 1);
        n = 1;
    } else {
        for (n = 2; n <= 4 && body + n >= (1ull << (4 + 8 * (n - 1))); n++)
            ;
        if (n > 4) {
            b->err = -E2BIG;
            return;
        }
        size_t total = body + n;
        enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
        for (size_t i = 1; i < n; i++)
            enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
    }
    insert(b, mark, enc, n);
}

size_t aml_scope_open(struct aml_buf *b, const char *path)
{
    aml_byte(b, AML_SCOPE);
    size_t mark = b->len;
    aml_name_string(b, path);
    return mark;
}

size_t aml_device_open(struct aml_buf *b, const char *path)
{
    aml_byte(b, AML_EXT_PREFIX);
    aml_byte(b, AML_DEVICE);
    size_t mark = b->len;
    aml_name_string(b, path);
    return mark;
}

size_t aml_method_open(struct aml_buf *b, const char *path, unsigned args, int serialized)
{
    aml_byte(b, AML_METHOD);
    size_t mark = b->len;
    aml_name_string(b, path);
    aml_byte(b, (uint8_t)((args & 7) | (serialized ? 8 : 0))); /* MethodFlags, SyncLevel 0 */
    return mark;
}

size_t aml_package_open(struct aml_buf *b, unsigned elements)
{
    aml_byte(b, AML_PACKAGE);
    size_t mark = b->len;
    aml_byte(b, (uint8_t)elements); /* NumElements */
    return mark;
}

size_t aml_resources_open(struct aml_buf *b)
{
    aml_byte(b, AML_BUFFER);
    return b->len;
}

void aml_resources_close(struct aml_buf *b, size_t mark)
{
    uint8_t size[9];
    struct aml_buf s;

    aml_byte(b, RES_END_TAG);
    aml_byte(b, 0); /* checksum 0: "treat as correct" (§6.4.2.9) */
    if (b->err || mark > b->len)
        return;
    aml_init(&s, size, sizeof(size));
    aml_integer(&s, b->len - mark); /* BufferSize */
    insert(b, mark, size, s.len);
    aml_close(b, mark);
}

void aml_memory32_fixed(struct aml_buf *b, uint32_t base, uint32_t size)
{
    aml_byte(b, RES_MEMORY32_FIXED);
    le(b, 9, 2);            /* length of what follows */
    aml_byte(b, 1);         /* read/write */
    le(b, base, 4);
    le(b, size, 4);
}

void aml_interrupt(struct aml_buf *b, uint32_t gsi, int edge, int active_low)
{
    aml_byte(b, RES_EXT_INTERRUPT);
    le(b, 6, 2);
    /* bit 0 consumer, bit 1 edge, bit 2 active-low, bit 3 shared (no) */
    aml_byte(b, (uint8_t)(1 | (edge ? 2 : 0) | (active_low ? 4 : 0)));
    aml_byte(b, 1);         /* one interrupt number */
    le(b, gsi, 4);
}

void aml_io(struct aml_buf *b, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    aml_byte(b, RES_IO);
    aml_byte(b, 1);         /* 16-bit decode */
    le(b, min, 2);
    le(b, max, 2);
    aml_byte(b, align);
    aml_byte(b, len);
}
