/* The device table. Adding a device: write devices/<name>.c with its ops and create function,
 * then add one line below. Neither the bus nor the run loop changes. A virtio-mmio line says
 * how many instances the options want; each gets the next slot and IRQ (VIRTIO_SLOT). */
#include "vmm/devices/devices.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/ports.h"
#include "vmm/boot/layout.h"
#include "vmm/devices/acpi_sleep.h"
#include "vmm/devices/boot_timer.h"
#include "vmm/devices/debug_exit.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/mp_wakeup.h"
#include "vmm/devices/serial.h"
#include "vmm/devices/virtio_blk.h"
#include "vmm/devices/virtio_net.h"
#include "vmm/devices/virtio_rng.h"

#define VIRTIO_SLOT 0 /* base of a virtio-mmio line: allocated */

struct device_desc {
    const char *name;
    enum bus_space space;
    uint64_t base, len;
    const struct dev_ops *ops;
    void *(*create)(const struct dev_env *env);
    bool (*wanted)(const struct devices_options *o);    /* NULL: always */
    /* virtio-mmio lines instead of create/wanted: */
    unsigned (*count)(const struct devices_options *o);
    int (*create_at)(const struct dev_env *env, const struct devices_options *o,
                     const struct virtio_slot *s, void **dev);
};

static bool want_boot_timer_mmio(const struct devices_options *o)
{
    return o->boot_timer_mmio;
}

static unsigned count_drives(const struct devices_options *o)
{
    return o->ndrives;
}

static unsigned count_nets(const struct devices_options *o)
{
    return o->nnets;
}

static unsigned count_rng(const struct devices_options *o)
{
    return o->rng;
}

static int create_blk(const struct dev_env *env, const struct devices_options *o,
                      const struct virtio_slot *s, void **dev)
{
    const struct drive_config *d = devices_drive(o, s->index);
    struct virtio_blk *b = malloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    struct virtio_blk_params p = { d->path, d->id, d->read_only, s->base, s->irq,
                                   !o->virtio_inline };
    int rc = virtio_blk_open(b, env, &p);
    if (rc)
        free(b);
    else
        *dev = &b->mmio;
    return rc;
}

static int create_net(const struct dev_env *env, const struct devices_options *o,
                      const struct virtio_slot *s, void **dev)
{
    const struct net_config *c = &o->nets[s->index];
    if (!o->tap_fds || o->tap_fds[s->index] < 0)
        return -EBADF;
    struct virtio_net *n = malloc(sizeof(*n));
    if (!n)
        return -ENOMEM;
    struct virtio_net_params p = { o->tap_fds[s->index], c->id, c->has_mac, { 0 }, s->base,
                                   s->irq, !o->virtio_inline };
    memcpy(p.mac, c->mac, sizeof(p.mac));
    int rc = virtio_net_init(n, env, &p);
    if (rc)
        free(n);
    else
        *dev = &n->mmio;
    return rc;
}

static int create_rng(const struct dev_env *env, const struct devices_options *o,
                      const struct virtio_slot *s, void **dev)
{
    struct virtio_rng *r = malloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    int rc = virtio_rng_init(r, env, s->base, s->irq, !o->virtio_inline);
    if (rc)
        free(r);
    else
        *dev = &r->mmio;
    return rc;
}

static bool want_acpi(const struct devices_options *o)
{
    return o->acpi;
}

static const struct device_desc device_table[] = {
    /* name              space     base                  len   ops              create / wanted, or count / create_at */
    { "serial",          BUS_PIO,  PORT_COM1,            8,    &serial_ops,     serial_create,     NULL, NULL, NULL },
    { "i8042",           BUS_PIO,  PORT_I8042_DATA,      5,    &i8042_ops,      i8042_create,      NULL, NULL, NULL },
    { "boot-timer",      BUS_PIO,  PORT_BOOT_TIMER,      1,    &boot_timer_ops, boot_timer_create, NULL, NULL, NULL },
    { "debug-exit",      BUS_PIO,  PORT_DEBUG_EXIT,      2,    &debug_exit_ops, debug_exit_create, NULL, NULL, NULL },
    { "boot-timer-mmio", BUS_MMIO, BOOT_TIMER_MMIO_ADDR, MMIO_SLOT_SIZE, &boot_timer_ops, boot_timer_create, want_boot_timer_mmio, NULL, NULL },
    { "acpi-sleep",      BUS_PIO,  ACPI_SLEEP_PORT,      1,    &acpi_sleep_ops, acpi_sleep_create, want_acpi, NULL, NULL },
    { "mp-wakeup",       BUS_MMIO, MP_WAKEUP_MAILBOX_ADDR, MP_WAKEUP_MAILBOX_SIZE, &mp_wakeup_ops, mp_wakeup_create, want_acpi, NULL, NULL },
    { "virtio-blk",      BUS_MMIO, VIRTIO_SLOT,          MMIO_SLOT_SIZE, &virtio_mmio_ops, NULL, NULL, count_drives, create_blk },
    { "virtio-net",      BUS_MMIO, VIRTIO_SLOT,          MMIO_SLOT_SIZE, &virtio_mmio_ops, NULL, NULL, count_nets,   create_net },
    { "virtio-rng",      BUS_MMIO, VIRTIO_SLOT,          MMIO_SLOT_SIZE, &virtio_mmio_ops, NULL, NULL, count_rng,    create_rng },
};
#define NDEVICES (sizeof(device_table) / sizeof(device_table[0]))

void devices_options_init(struct devices_options *o, const struct vm_config *c)
{
    *o = (struct devices_options){ .boot_timer_mmio = c->opt.boot_timer, .drives = c->drives,
                                   .ndrives = c->ndrives, .nets = c->nets,
                                   .nnets = c->nnets, .rng = c->rng, .acpi = !c->no_acpi };
}

const struct drive_config *devices_drive(const struct devices_options *o, unsigned i)
{
    unsigned root = o->ndrives;
    for (unsigned k = 0; k < o->ndrives; k++)
        if (o->drives[k].root && root == o->ndrives)
            root = k;
    if (root == o->ndrives) /* no root drive: config order */
        return &o->drives[i];
    if (i == 0)
        return &o->drives[root];
    return &o->drives[i <= root ? i - 1 : i];
}

int devices_virtio_slots(const struct devices_options *o, struct virtio_slot *out)
{
    uint64_t base = MMIO_GAP_START + (o->boot_timer_mmio ? MMIO_SLOT_SIZE : 0);
    unsigned n = 0;

    for (size_t i = 0; i < NDEVICES; i++) {
        const struct device_desc *d = &device_table[i];
        unsigned count = d->count ? d->count(o) : 0;
        for (unsigned k = 0; k < count; k++, n++) {
            if (n == VIRTIO_SLOTS_MAX)
                return -ENOSPC;
            out[n] = (struct virtio_slot){ d->name, k, base + n * MMIO_SLOT_SIZE,
                                           VIRTIO_IRQ_FIRST + n };
        }
    }
    return (int)n;
}

int devices_cmdline(const struct devices_options *o, const char *cmdline, char *out, size_t len)
{
    struct virtio_slot s[VIRTIO_SLOTS_MAX];
    int n = devices_virtio_slots(o, s);
    size_t at;

    if (n < 0)
        return n;
    at = (size_t)snprintf(out, len, "%s", cmdline);
    for (int i = 0; i < n && at < len; i++) {
        const char *sep = at ? " " : "";
        if (!strcmp(s[i].name, "virtio-blk") && devices_drive(o, s[i].index)->root) {
            const struct drive_config *d = devices_drive(o, s[i].index);
            const char *rw = d->read_only ? "ro" : "rw";
            if (d->partuuid)
                at += (size_t)snprintf(out + at, len - at, "%sroot=PARTUUID=%s %s", sep,
                                       d->partuuid, rw);
            else
                at += (size_t)snprintf(out + at, len - at, "%sroot=/dev/vda %s", sep, rw);
            sep = " ";
        }
        if (at < len)
            at += (size_t)snprintf(out + at, len - at, "%svirtio_mmio.device=4K@0x%llx:%u", sep,
                                   (unsigned long long)s[i].base, s[i].irq);
    }
    return at < len ? (int)at : -E2BIG;
}

int devices_attach(struct bus *b, const struct dev_env *env, const struct devices_options *o,
                   const char **failed)
{
    struct virtio_slot s[VIRTIO_SLOTS_MAX];
    int n = devices_virtio_slots(o, s), next = 0, rc;

    *failed = "virtio-mmio";
    if (n < 0)
        return n;
    for (size_t i = 0; i < NDEVICES; i++) {
        const struct device_desc *d = &device_table[i];
        *failed = d->name;
        if (d->count) {
            for (unsigned k = d->count(o); k; k--, next++) {
                void *dev = NULL;
                if ((rc = d->create_at(env, o, &s[next], &dev)) ||
                    (rc = bus_add(b, BUS_MMIO, s[next].base, d->len, d->name, d->ops, dev)))
                    return rc;
            }
            continue;
        }
        if (d->wanted && !d->wanted(o))
            continue;
        void *dev = d->create(env);
        if (!dev)
            return -ENOMEM;
        if ((rc = bus_add(b, d->space, d->base, d->len, d->name, d->ops, dev)))
            return rc;
    }
    *failed = NULL;
    return 0;
}
