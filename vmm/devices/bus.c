/* Port I/O and MMIO dispatch; see bus.h. */
#include "vmm/devices/bus.h"

#include <errno.h>
#include <string.h>

int bus_add(struct bus *b, enum bus_space space, uint64_t base, uint64_t len, const char *name,
            const struct dev_ops *ops, void *dev)
{
    for (unsigned i = 0; i < b->n; i++) {
        const struct bus_region *r = &b->regions[i];
        if (r->space == space && base < r->base + r->len && r->base < base + len)
            return -EEXIST;
    }
    if (b->n == BUS_REGIONS_MAX)
        return -ENOSPC;
    b->regions[b->n++] = (struct bus_region){ space, base, len, name, ops, dev };
    return 0;
}

static const struct bus_region *find(const struct bus *b, enum bus_space space, uint64_t addr,
                                     unsigned size)
{
    for (unsigned i = 0; i < b->n; i++) {
        const struct bus_region *r = &b->regions[i];
        if (r->space == space && addr >= r->base && addr - r->base + size <= r->len)
            return r;
    }
    return NULL;
}

void bus_read(struct bus *b, enum bus_space space, uint64_t addr, uint8_t *data, unsigned size)
{
    const struct bus_region *r = find(b, space, addr, size);
    if (!r || !r->ops->read) {
        memset(data, 0xff, size);
        atomic_fetch_add(&b->unknown_reads[space], 1);
        return;
    }
    r->ops->read(r->dev, addr - r->base, data, size);
}

void bus_write(struct bus *b, enum bus_space space, uint64_t addr, const uint8_t *data,
               unsigned size, unsigned count)
{
    const struct bus_region *r = find(b, space, addr, size);
    if (!r || !r->ops->write) {
        atomic_fetch_add(&b->unknown_writes[space], 1);
        return;
    }
    if (count > 1 && r->ops->write_rep) {
        r->ops->write_rep(r->dev, addr - r->base, data, size, count);
        return;
    }
    for (unsigned i = 0; i < count; i++)
        r->ops->write(r->dev, addr - r->base, data + (size_t)i * size, size);
}

void *bus_device(const struct bus *b, const char *name)
{
    for (unsigned i = 0; i < b->n; i++)
        if (!strcmp(b->regions[i].name, name))
            return b->regions[i].dev;
    return NULL;
}
