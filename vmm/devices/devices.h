/* The machine's devices: one table (devices.c), one line per device. */
#ifndef VMM_DEVICES_DEVICES_H
#define VMM_DEVICES_DEVICES_H

#include <stdbool.h>

#include "vmm/devices/bus.h"
#include "vmm/devices/device.h"

struct devices_options {
    bool boot_timer_mmio;   /* --boot-timer */
    bool acpi;              /* not --no-acpi: the devices the ACPI tables announce */
};

/* Creates every device the options ask for and puts it on the bus. env must outlive the VM.
 * Returns 0, or a negative errno with *failed naming the device. */
int devices_attach(struct bus *b, const struct dev_env *env, const struct devices_options *o,
                   const char **failed);

#endif
