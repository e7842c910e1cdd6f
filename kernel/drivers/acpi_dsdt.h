/* virtio-mmio devices announced in a DSDT (drivers/acpi_dsdt.c): QEMU microvm with ACPI lists its
 * transports only there, motevm and Firecracker there and on the command line. */
#ifndef DRIVERS_ACPI_DSDT_H
#define DRIVERS_ACPI_DSDT_H

#include "drivers/virtio/mmio.h"
#include "mote/types.h"

/* Scans the AML of a DSDT (aml: the table after its 36-byte header, len bytes) for Devices with
 * _HID "LNRO0005" and writes up to max of them (window, GSI, trigger and polarity; each base
 * once) to out, in table order. Any input is safe: reads stay inside the len bytes, and what the
 * scanner does not understand yields nothing. Returns the number written. */
unsigned acpi_dsdt_virtio_mmio(const uint8_t *aml, size_t len, struct virtio_mmio_param *out,
                               unsigned max);

#endif
