/* The Intel MP table (MP spec 1.4 §4) that announces the vCPUs and the IOAPIC, written at
 * MPTABLE_ADDR as Firecracker does: OEM "FC", one processor entry per vCPU (APIC id = index),
 * ISA bus 0, IOAPIC id = vCPUs + 1, IRQs 0-23 to IOAPIC pins 0-23 (ISA: edge, active high; the
 * virtio-mmio devices use 5-23, as in Firecracker), ExtINT on LINT0 and NMI on LINT1. */
#ifndef VMM_BOOT_MPTABLE_H
#define VMM_BOOT_MPTABLE_H

#include <stddef.h>

#include "abi/mptable.h"

#define MP_APIC_VERSION 0x14
#define MP_IRQS 24 /* IOAPIC pins with an interrupt entry: Firecracker's IRQ_MAX + 1 */

/* Bytes the table takes for ncpus vCPUs. */
size_t mptable_size(unsigned ncpus);

/* Writes the floating pointer then the configuration table into buf, which the guest sees at
 * MPTABLE_ADDR. Returns the size written, or -ENOSPC when len is too small. */
int mptable_build(void *buf, size_t len, unsigned ncpus);

#endif
