/* Local APIC and IOAPIC (arch/x86_64/apic.c), and the fixed vectors. */
#ifndef ARCH_X86_64_APIC_H
#define ARCH_X86_64_APIC_H

#include "mote/types.h"

#define VEC_IRQ_FIRST 0x30 /* device interrupts are handed out from here */
#define VEC_IRQ_LAST 0xdf
#define VEC_TIMER 0xec
#define VEC_RESCHED 0xfd
#define VEC_SPURIOUS 0xff

#define ICR_FIXED 0x0
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)

#include "mote/arch.h"

void arch_lapic_init_cpu_once(void);
void arch_lapic_eoi(void);
void arch_send_ipi(uint32_t apic_id, uint32_t icr);

#endif
