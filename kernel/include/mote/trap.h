/* The register frame every entry from the program or from an exception builds (arch/x86_64/
 * traps.S pushes it; the layout is fixed by that code). */
#ifndef MOTE_TRAP_H
#define MOTE_TRAP_H

#include "mote/types.h"

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (or by the syscall entry) */
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap_frame matches traps.S");

#define VEC_SYSCALL 0x100 /* pseudo-vector of frames built by the syscall entry */

static inline bool frame_from_user(const struct trap_frame *f)
{
    return (f->cs & 3) == 3;
}

/* arch: masks the legacy PICs (arch/x86_64/pic.c). */
void arch_pic_mask(void);
/* arch: CPU tables and the system-call MSRs of the boot CPU (call once, early). */
void arch_cpu_init(void);
/* arch: allocates an AP's tables (on the boot CPU), then loads them (on the AP). */
int arch_cpu_prepare_ap(unsigned index);
int arch_cpu_init_ap(unsigned index);
/* arch: installs the gate of an interrupt vector (32-255) so it reaches irq_dispatch. */
void arch_idt_enable_vector(unsigned vec);
/* core: called by the trap path for vectors 32-255 (core/irq.c). */
void irq_dispatch(unsigned vec);
/* arch: enters the program at CPL3; never returns (the program comes back through traps). */
__noreturn void arch_enter_user(uint64_t rip, uint64_t rsp);
/* arch: prints the registers of a frame. */
void arch_dump_frame(const struct trap_frame *f);
/* arch: prints return addresses by walking frame pointers from rbp. */
void arch_backtrace(uint64_t rbp);
/* arch: sets the program's FS base (TLS). */
void arch_set_fs_base(uint64_t base);
uint64_t arch_get_fs_base(void);

/* Handlers the arch code calls. */
void syscall_dispatch(struct trap_frame *f);
/* Returns true when it resolved a fault on a program address (lazy page). */
bool uspace_fault(uint64_t addr, bool write, bool exec);
__noreturn void program_killed(int signal, const struct trap_frame *f, uint64_t addr);
/* An interrupt is about to return to user mode through f: takes a pending signal, or leaves if
 * the program's process is ending (linux/sys_signal.c). */
void signal_user_return(struct trap_frame *f);

#endif
