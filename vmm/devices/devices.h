/* The machine's devices: one table (devices.c), one line per device. Fixed devices sit at their
 * own address; virtio-mmio devices get the next 4 KiB MMIO slot and the next IRQ, in table
 * order, and are announced to the guest on its command line (virtio_mmio.device=...). */
#ifndef VMM_DEVICES_DEVICES_H
#define VMM_DEVICES_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/boot/layout.h"
#include "vmm/config.h"
#include "vmm/devices/bus.h"
#include "vmm/devices/device.h"

struct devices_options {
    bool boot_timer_mmio;                /* --boot-timer */
    const struct drive_config *drives;   /* virtio-blk, one per drive (root drive first) */
    unsigned ndrives;
    const struct net_config *nets;       /* virtio-net, one per interface, config order */
    unsigned nnets;
    const int *tap_fds;                  /* nnets open taps (machine.c); NULL: none yet */
    bool rng;                            /* virtio-rng: config "entropy" or --rng */
    bool acpi;                           /* not --no-acpi: the devices ACPI announces */
    bool virtio_inline;                  /* drain queues on the vCPU thread, no device threads */
};

/* One virtio-mmio device's place in the machine. */
struct virtio_slot {
    const char *name;
    unsigned index;                      /* instance of its table line (drive number, ...) */
    uint64_t base;
    unsigned irq;
};

#define VIRTIO_SLOTS_MAX (VIRTIO_IRQ_LAST - VIRTIO_IRQ_FIRST + 1)

/* The options a configuration asks for (device threads on). */
void devices_options_init(struct devices_options *o, const struct vm_config *c);

/* The virtio-mmio devices in slot order. Returns how many, or -ENOSPC when they need more
 * IRQs than VIRTIO_IRQ_FIRST..VIRTIO_IRQ_LAST. */
int devices_virtio_slots(const struct devices_options *o, struct virtio_slot *out);

/* The i-th drive in slot order: Firecracker puts the root device first (/dev/vda). */
const struct drive_config *devices_drive(const struct devices_options *o, unsigned i);

/* cmdline followed by what the devices announce, as Firecracker v1.10 appends it: for the root
 * drive "root=/dev/vda" (or "root=PARTUUID=...") and "ro"/"rw", and for every virtio device
 * "virtio_mmio.device=4K@0x<base>:<irq>". Returns the length, or -E2BIG when the result (NUL
 * included) does not fit in len bytes, -ENOSPC as devices_virtio_slots. */
int devices_cmdline(const struct devices_options *o, const char *cmdline, char *out, size_t len);

/* Creates every device the options ask for and puts it on the bus. env must outlive the VM.
 * Returns 0, or a negative errno with *failed naming the device. */
int devices_attach(struct bus *b, const struct dev_env *env, const struct devices_options *o,
                   const char **failed);

#endif
