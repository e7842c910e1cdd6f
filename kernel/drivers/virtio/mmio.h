/* virtio-mmio devices announced on the command line (Linux's virtio_mmio.device= format, which
 * Firecracker, motevm and QEMU microvm write): parsing (pure C) and attaching. */
#ifndef DRIVERS_VIRTIO_MMIO_H
#define DRIVERS_VIRTIO_MMIO_H

#include "mote/types.h"

struct cmdline;

struct virtio_mmio_param {
    uint64_t base, size;
    unsigned irq;
    unsigned id;  /* Linux's optional platform device id; 0 when absent */
    bool has_id;
    bool level, active_low; /* from a DSDT's _CRS; the command line's are edge, active high */
};

/* Parses "<size>[K|M|G]@<addr>:<irq>[:<id>]" (numbers decimal or 0x hex). Returns 0, or -EINVAL
 * with *why naming what is wrong. */
int virtio_mmio_parse(const char *s, struct virtio_mmio_param *p, const char **why);

/* Every virtio_mmio.device= parameter: parsed, checked (magic, version), added to the virtio
 * core, and removed from the command line. A bad one is skipped with a warning. Returns the
 * number of devices added. */
unsigned virtio_mmio_discover(struct cmdline *cl);

#endif
