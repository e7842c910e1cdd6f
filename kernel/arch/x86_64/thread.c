/* Thread support: a new thread's first stack frame, the per-switch program state (FPU/SSE with
 * fxsave/fxrstor — the two FPU instructions PVM's CPL0 emulator runs — and the FS base), and the
 * idle wait. */
#include "mote/arch.h"
#include "mote/sched.h"
#include "mote/trap.h"
#include "mote/x86.h"

void arch_thread_trampoline(void);

uint64_t arch_thread_stack(void *stack_top)
{
    /* arch_context_switch pops r15, r14, r13, r12, rbx, rbp, then returns into the trampoline
     * with RSP = top - 16 (16-aligned), so its `call thread_start` gives the ABI's alignment.
     * The top 16 bytes stay free for the thread pointer. */
    uint64_t *sp = (uint64_t *)((uint64_t)stack_top - 16);
    *--sp = (uint64_t)arch_thread_trampoline;
    for (int i = 0; i < 6; i++)
        *--sp = 0;
    return (uint64_t)sp;
}

void arch_switch_to(struct thread *prev, struct thread *next, unsigned cpu_index)
{
    __asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
    __asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
    if (prev->fs_base != next->fs_base)
        wrmsr(MSR_FS_BASE, next->fs_base);
    arch_set_kernel_stack(cpu_index, (uint64_t)next->stack + KSTACK_SIZE - 16);
}

void arch_idle(void)
{
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}
