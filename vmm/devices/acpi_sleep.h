/* The hardware-reduced ACPI sleep control and status register (ACPI 6.5 §4.8.3.7), one byte at
 * I/O port ACPI_SLEEP_PORT (0x3c0), named by the FADT's SLEEP_CONTROL_REG and SLEEP_STATUS_REG.
 * A write with SLP_EN (bit 5) and SLP_TYP (bits 2-4) = 5, the DSDT's \_S5_ value, is a
 * power-off: the VM stops with status 0. Other sleep states are not supported and are ignored.
 * Reads (the status register) return 0: no wake status, ever. */
#ifndef VMM_DEVICES_ACPI_SLEEP_H
#define VMM_DEVICES_ACPI_SLEEP_H

#include "vmm/devices/device.h"

struct acpi_sleep {
    const struct dev_env *env;
    unsigned ignored;       /* writes that were not an S5 request */
};

extern const struct dev_ops acpi_sleep_ops;

void *acpi_sleep_create(const struct dev_env *env);

#endif
