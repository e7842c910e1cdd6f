/* What generic kernel code asks of the architecture (implemented in arch/x86_64/). */
#ifndef MOTE_ARCH_H
#define MOTE_ARCH_H

#include "mote/types.h"

struct thread;

/* Interrupt controllers (apic.c). */
void arch_lapic_init_cpu(void);
uint32_t arch_lapic_id(void);
void arch_timer_arm(uint64_t deadline_tsc);
/* Allocates a vector for a device interrupt and routes GSI gsi to it on the boot CPU; the vector
 * then reaches irq_dispatch. Returns the vector or a negative errno. */
int arch_irq_setup(unsigned gsi, bool level, bool active_low);
/* Asks CPU apic_id to run the scheduler (an IPI). */
void arch_kick_cpu(uint32_t apic_id);

/* Threads (cpu.c, traps.S, sched support in smp.c). */
/* Builds a new thread's first stack frame so that switching to it calls thread_start(). */
uint64_t arch_thread_stack(void *stack_top);
void arch_context_switch(uint64_t *save_rsp, uint64_t new_rsp);
/* The stack the CPU switches to on entries from the program (TSS RSP0, syscall entry). */
void arch_set_kernel_stack(unsigned cpu_index, uint64_t top);
/* Saves prev's and loads next's program state (FPU/SSE, FS base) and entry stack. */
void arch_switch_to(struct thread *prev, struct thread *next, unsigned cpu_index);
/* Waits for an interrupt with interrupts enabled, then disables them again. */
void arch_idle(void);

/* Application processors (smp.c): starts the CPUs listed in the platform and returns how many
 * came up; each runs ap_main(index) on its idle stack. */
unsigned arch_start_aps(void);

#endif
