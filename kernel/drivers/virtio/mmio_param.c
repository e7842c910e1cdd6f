/* The virtio_mmio.device= argument (Linux drivers/virtio/virtio_mmio.c, vm_cmdline_set):
 * <size>[K|M|G]@<base>:<irq>[:<id>]. Pure C: host unit tests build it. */
#include <errno.h>

#include "drivers/virtio/mmio.h"

/* A number at *s (0x hex or decimal); advances *s. */
static int parse_num(const char **s, uint64_t *out)
{
    const char *p = *s;
    unsigned base = 10;
    uint64_t v = 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    const char *digits = p;
    for (;; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return -EINVAL;
        v = v * base + d;
    }
    if (p == digits)
        return -EINVAL;
    *out = v;
    *s = p;
    return 0;
}

int virtio_mmio_parse(const char *s, struct virtio_mmio_param *p, const char **why)
{
    uint64_t v;
    *p = (struct virtio_mmio_param){0};
    if (parse_num(&s, &p->size)) {
        *why = "bad size";
        return -EINVAL;
    }
    unsigned shift = 0;
    if (*s == 'K' || *s == 'k')
        shift = 10;
    else if (*s == 'M' || *s == 'm')
        shift = 20;
    else if (*s == 'G' || *s == 'g')
        shift = 30;
    if (shift) {
        s++;
        if (p->size > (UINT64_MAX >> shift)) {
            *why = "bad size";
            return -EINVAL;
        }
        p->size <<= shift;
    }
    if (p->size == 0) {
        *why = "size is 0";
        return -EINVAL;
    }
    if (*s++ != '@') {
        *why = "expected @<address> after the size";
        return -EINVAL;
    }
    if (parse_num(&s, &p->base)) {
        *why = "bad address";
        return -EINVAL;
    }
    if (p->base == 0) {
        *why = "address is 0";
        return -EINVAL;
    }
    if (p->base + p->size < p->base) {
        *why = "address + size overflows";
        return -EINVAL;
    }
    if (*s++ != ':') {
        *why = "missing :<irq>";
        return -EINVAL;
    }
    if (parse_num(&s, &v) || v > 0xffff) {
        *why = "bad irq";
        return -EINVAL;
    }
    p->irq = (unsigned)v;
    if (*s == ':') {
        s++;
        if (parse_num(&s, &v) || v > 0xffffffffu) {
            *why = "bad id";
            return -EINVAL;
        }
        p->id = (unsigned)v;
        p->has_id = true;
    }
    if (*s) {
        *why = "trailing characters";
        return -EINVAL;
    }
    return 0;
}
