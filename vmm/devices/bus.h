/* Address decoding for port I/O and MMIO exits: a short table of regions, each a device's ops
 * and state. Accesses that hit no device read as all ones and are counted. */
#ifndef VMM_DEVICES_BUS_H
#define VMM_DEVICES_BUS_H

#include <stdatomic.h>
#include <stdint.h>

#include "vmm/devices/device.h"

#define BUS_REGIONS_MAX 32

enum bus_space { BUS_PIO, BUS_MMIO };

struct bus_region {
    enum bus_space space;
    uint64_t base, len;
    const char *name;
    const struct dev_ops *ops;
    void *dev;
};

struct bus {
    struct bus_region regions[BUS_REGIONS_MAX];
    unsigned n;
    atomic_ulong unknown_reads[2];  /* indexed by enum bus_space */
    atomic_ulong unknown_writes[2];
};

/* Returns 0, -EEXIST when the range overlaps a region of the same space, -ENOSPC when full. */
int bus_add(struct bus *b, enum bus_space space, uint64_t base, uint64_t len, const char *name,
            const struct dev_ops *ops, void *dev);

void bus_read(struct bus *b, enum bus_space space, uint64_t addr, uint8_t *data, unsigned size);

/* The state of the device named name (as in the device table), or NULL. */
void *bus_device(const struct bus *b, const char *name);

/* count > 1: string I/O, data holds count items of size bytes. */
void bus_write(struct bus *b, enum bus_space space, uint64_t addr, const uint8_t *data,
               unsigned size, unsigned count);

#endif
