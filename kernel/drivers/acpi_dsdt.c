/* virtio-mmio devices in a DSDT (QEMU microvm with ACPI, motevm, Firecracker): Device objects whose
 * _HID is the string "LNRO0005", with the memory window and the interrupt of their _CRS buffer.
 * A bounds-checked scanner for the forms these monitors write, not an AML interpreter: every read
 * stays inside [aml, aml + len); what it does not understand ends the search, it is never guessed.
 * ACPI 6.5 §20.2 (AML grammar), §6.4 (resource descriptors). Pure C: host unit tests run it. */
#include "drivers/acpi_dsdt.h"

#include "mote/string.h"

#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_STRING 0x0d
#define AML_QWORD 0x0e
#define AML_BUFFER 0x11
#define AML_EXT 0x5b
#define AML_EXT_DEVICE 0x82

static const uint8_t hid_string[] = {AML_STRING, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0};

static uint32_t le16(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A NameSeg as the little-endian word its four bytes make: one compare, no call. */
#define SEG(a, b, c, d)                                                                            \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* PkgLength (§20.2.4) at *p: sets *obj_end (the length counts its own bytes) and moves *p past
 * the encoding. */
static bool pkg_length(const uint8_t **p, const uint8_t *end, const uint8_t **obj_end)
{
    const uint8_t *s = *p;
    if (s >= end)
        return false;
    unsigned n = s[0] >> 6;
    if ((size_t)(end - s) <= n)
        return false;
    uint32_t len = n ? s[0] & 0x0f : s[0] & 0x3f;
    for (unsigned i = 0; i < n; i++)
        len |= (uint32_t)s[1 + i] << (4 + 8 * i);
    if (len <= n || len > (size_t)(end - s))
        return false;
    *obj_end = s + len;
    *p = s + n + 1;
    return true;
}

static bool lead_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

/* NameString (§20.2.2): root or parent prefixes, then NullName, a NameSeg, DualNamePath or
 * MultiNamePath. Moves *p past it; *seg is its only NameSeg, or NULL. */
static bool name_string(const uint8_t **p, const uint8_t *end, const uint8_t **seg)
{
    const uint8_t *s = *p;
    unsigned segs = 1;
    *seg = NULL;
    if (s < end && *s == '\\')
        s++;
    else
        while (s < end && *s == '^')
            s++;
    if (s >= end)
        return false;
    if (*s == 0x00) {
        *p = s + 1;
        return true;
    }
    if (*s == 0x2e) {
        segs = 2;
        s++;
    } else if (*s == 0x2f) {
        if (end - s < 2)
            return false;
        segs = s[1];
        s += 2;
    }
    if (segs == 0 || (size_t)(end - s) < 4 * (size_t)segs)
        return false;
    for (unsigned i = 0; i < segs; i++)
        if (!lead_char(s[4 * i]))
            return false;
    if (segs == 1 && s == *p)
        *seg = s;
    *p = s + 4 * segs;
    return true;
}

/* An integer constant (ZeroOp, OneOp, OnesOp or a Byte/Word/DWord/QWord prefix). */
static bool integer(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *s = *p;
    if (s >= end)
        return false;
    size_t n;
    switch (s[0]) {
    case 0x00:
    case 0x01:
        *v = s[0];
        *p = s + 1;
        return true;
    case 0xff:
        *v = ~0ull;
        *p = s + 1;
        return true;
    case AML_BYTE:
        n = 1;
        break;
    case AML_WORD:
        n = 2;
        break;
    case AML_DWORD:
        n = 4;
        break;
    case AML_QWORD:
        n = 8;
        break;
    default:
        return false;
    }
    if ((size_t)(end - s) <= n)
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v |= (uint64_t)s[1 + i] << (8 * i);
    *p = s + 1 + n;
    return true;
}

/* The value of a Name: a constant, a string, a buffer or a package. */
static bool data_object(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p, *e;
    uint64_t v;
    if (s >= end)
        return false;
    switch (s[0]) {
    case AML_STRING:
        e = memchr(s + 1, 0, end - s - 1);
        if (!e)
            return false;
        *p = e + 1;
        return true;
    case AML_BUFFER:
    case 0x12: /* Package */
    case 0x13: /* VarPackage */
        s++;
        if (!pkg_length(&s, end, &e))
            return false;
        *p = e;
        return true;
    default:
        return integer(p, end, &v);
    }
}

/* The memory window and the interrupt of a _CRS ResourceTemplate (§6.4): Memory32Fixed, the
 * Extended Interrupt descriptor or the small IRQ descriptor; the first of each counts. */
static void resources(const uint8_t *r, const uint8_t *end, struct virtio_mmio_param *d,
                      bool *mem, bool *irq)
{
    while (r < end) {
        uint8_t tag = r[0];
        if (tag & 0x80) { /* large item: type, 16-bit length, body */
            if (end - r < 3)
                return;
            size_t len = le16(r + 1);
            const uint8_t *b = r + 3;
            if ((size_t)(end - b) < len)
                return;
            if (tag == 0x86 && len >= 9 && !*mem) { /* Memory32Fixed: info, base, length */
                d->base = le32(b + 1);
                d->size = le32(b + 5);
                *mem = true;
            } else if (tag == 0x89 && len >= 6 && b[1] >= 1 && len >= 2 + 4 * (size_t)b[1] &&
                       !*irq) { /* Extended Interrupt: flags, count, numbers */
                d->irq = le32(b + 2);
                d->level = !(b[0] & 0x02);
                d->active_low = b[0] & 0x04;
                *irq = true;
            }
            r = b + len;
        } else { /* small item: type in bits 6-3, length in bits 2-0 */
            size_t len = tag & 7;
            if (((tag >> 3) & 0x0f) == 0x0f || (size_t)(end - r - 1) < len)
                return; /* End Tag */
            if (((tag >> 3) & 0x0f) == 0x04 && len >= 2 && le16(r + 1) && !*irq) {
                /* IRQ: a mask of ISA lines, then (optional) flags, edge and active-high without */
                uint8_t flags = len >= 3 ? r[3] : 0x01;
                d->irq = __builtin_ctz(le16(r + 1));
                d->level = !(flags & 0x01);
                d->active_low = flags & 0x08;
                *irq = true;
            }
            r += 1 + len;
        }
    }
}

/* Name(_CRS, Buffer (size) {...}) at s (the BufferOp). */
static void crs_buffer(const uint8_t *s, const uint8_t *end, struct virtio_mmio_param *d,
                       bool *mem, bool *irq)
{
    const uint8_t *buf_end;
    uint64_t size;
    s++;
    if (!pkg_length(&s, end, &buf_end) || !integer(&s, buf_end, &size))
        return;
    if (size < (uint64_t)(buf_end - s))
        buf_end = s + size; /* the byte list may be shorter than the size, not longer */
    resources(s, buf_end, d, mem, irq);
}

/* Walks the objects of a Device body [s, end): true when its own Name(_HID) is the string at
 * hid (the one the search met) and its _CRS gave a window and an interrupt. */
static bool device_body(const uint8_t *s, const uint8_t *end, const uint8_t *hid,
                        struct virtio_mmio_param *d)
{
    bool is_ours = false, mem = false, irq = false;
    const uint8_t *e, *seg;
    while (s < end) {
        uint8_t op = s[0];
        if (op == AML_NAME) {
            s++;
            if (!name_string(&s, end, &seg))
                break;
            uint32_t name = seg ? le32(seg) : 0;
            if (name == SEG('_', 'H', 'I', 'D') && s == hid)
                is_ours = true;
            else if (name == SEG('_', 'C', 'R', 'S') && s < end && s[0] == AML_BUFFER)
                crs_buffer(s, end, d, &mem, &irq);
            if (!data_object(&s, end))
                break;
        } else if (op == 0x10 || op == 0x14 || op == 0xa0 || op == 0xa1 || op == 0xa2) {
            /* Scope, Method, If, Else, While: skipped whole */
            s++;
            if (!pkg_length(&s, end, &e))
                break;
            s = e;
        } else if (op == AML_EXT && end - s >= 2 && s[1] >= 0x81 && s[1] <= 0x87) {
            /* Field, Device, Processor, PowerResource, ThermalZone, IndexField, BankField */
            s += 2;
            if (!pkg_length(&s, end, &e))
                break;
            s = e;
        } else if (op == AML_EXT && end - s >= 2 && s[1] == 0x80) {
            /* OperationRegion: name, space, offset and length (constants only) */
            uint64_t v;
            s += 2;
            if (!name_string(&s, end, &seg) || s >= end)
                break;
            s++;
            if (!integer(&s, end, &v) || !integer(&s, end, &v))
                break;
        } else {
            break; /* not a form this scanner knows: stop here */
        }
    }
    return is_ours && mem && irq && d->size;
}

/* The Device whose Name(_HID) string starts at hid: the nearest DeviceOp before it whose package
 * encloses it and whose body walk reaches that very _HID. */
static bool enclosing_device(const uint8_t *aml, const uint8_t *end, const uint8_t *hid,
                             struct virtio_mmio_param *d)
{
    size_t at = (size_t)(hid - aml), lowest = at > 4096 ? at - 4096 : 0;
    for (size_t i = at - 2; i + 1 > lowest; i--) {
        const uint8_t *q = aml + i;
        if (q[0] != AML_EXT || q[1] != AML_EXT_DEVICE)
            continue;
        const uint8_t *s = q + 2, *dev_end, *seg;
        if (!pkg_length(&s, end, &dev_end) || dev_end <= hid || !name_string(&s, dev_end, &seg))
            continue;
        *d = (struct virtio_mmio_param){0};
        if (device_body(s, dev_end, hid, d))
            return true;
    }
    return false;
}

unsigned acpi_dsdt_virtio_mmio(const uint8_t *aml, size_t len, struct virtio_mmio_param *out,
                               unsigned max)
{
    const uint8_t *end = aml + len;
    unsigned n = 0;
    /* "LNRO0005" strings, found with one repne scasb per 'L' (a DSDT without virtio-mmio
     * devices costs a few instructions); each must be the value of a Device's Name(_HID). */
    for (const uint8_t *p = aml; n < max && (p = memchr(p, 'L', end - p)); p++) {
        const uint8_t *s = p - 1; /* the StringPrefix */
        if (p - aml < 6 || (size_t)(end - s) < sizeof(hid_string) || s[0] != AML_STRING ||
            p[1] != 'N' || memcmp(s, hid_string, sizeof(hid_string)) != 0 || s[-5] != AML_NAME ||
            le32(s - 4) != SEG('_', 'H', 'I', 'D'))
            continue;
        struct virtio_mmio_param d;
        if (!enclosing_device(aml, end, s, &d))
            continue;
        bool dup = false;
        for (unsigned i = 0; i < n && !dup; i++)
            dup = out[i].base == d.base;
        if (!dup)
            out[n++] = d;
    }
    return n;
}
