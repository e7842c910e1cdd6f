/* Device interrupts. Drivers name an interrupt by its GSI (the IOAPIC input: ISA IRQ numbers
 * after ACPI/MP overrides, the virtio_mmio.device=...:<irq> number, or a PCI INTx line from the
 * MP table / _PRT / the PCI interrupt-line register) and get their handler called on the CPU the
 * interrupt arrives on, with interrupts disabled. The arch code (IOAPIC, LAPIC, or the legacy
 * PIC on machines without an IOAPIC) does the routing and the end-of-interrupt.
 *
 * Until interrupts are enabled (irq_enable_all, called by kernel_main once the CPU tables and
 * the interrupt controllers are set up) drivers must poll; irq_available() says whether that
 * point has been reached. */
#ifndef MOTE_IRQ_H
#define MOTE_IRQ_H

#include "mote/types.h"

typedef void (*irq_handler_fn)(void *arg);

/* Routes GSI gsi to a vector and installs handler (several handlers may share a level-triggered
 * GSI). level/active_low describe the line (virtio-mmio: edge, active high; PCI INTx: level,
 * active low). Returns 0, -EINVAL (no such GSI), -EBUSY (an edge GSI already taken) or -ENOMEM. */
int irq_register(unsigned gsi, bool level, bool active_low, irq_handler_fn handler, void *arg);

/* True once interrupts are delivered. */
bool irq_available(void);

#endif
