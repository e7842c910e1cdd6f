/* Exception dispatch: program faults become signals (reported, then the program ends), lazy
 * program pages are filled in, the PVM system-call path is recognised, and everything else in the
 * kernel is a panic with registers and a backtrace. Intel SDM vol. 3 §6.15 (exception list). */
#include "arch/x86_64/apic.h"
#include "mote/layout.h"
#include "mote/sched.h"
#include "mote/printk.h"
#include "mote/trap.h"
#include "mote/x86.h"

static const char *const names[] = {
    "divide error (#DE)",          "debug (#DB)",
    "NMI",                         "breakpoint (#BP)",
    "overflow (#OF)",              "bound range (#BR)",
    "invalid opcode (#UD)",        "device not available (#NM)",
    "double fault (#DF)",          "coprocessor segment overrun",
    "invalid TSS (#TS)",           "segment not present (#NP)",
    "stack fault (#SS)",           "general protection (#GP)",
    "page fault (#PF)",            "reserved (15)",
    "x87 floating point (#MF)",    "alignment check (#AC)",
    "machine check (#MC)",         "SIMD floating point (#XM)",
    "virtualization (#VE)",        "control protection (#CP)",
};

#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGSEGV 11

#define PF_WRITE (1 << 1)
#define PF_USER (1 << 2)
#define PF_FETCH (1 << 4)

static int signal_for(uint64_t vec)
{
    switch (vec) {
    case 0:
    case 16:
    case 19:
        return SIGFPE;
    case 1:
    case 3:
        return SIGTRAP;
    case 6:
        return SIGILL;
    case 17:
        return SIGBUS;
    default:
        return SIGSEGV;
    }
}

/* Under PVM, `syscall` from the program lands on the entry page still at CPL3 and its first
 * instruction (swapgs) faults: turn that #GP into the system call it is. */
static bool pvm_syscall(struct trap_frame *f)
{
    if (f->vector != 13 || !frame_from_user(f) ||
        f->rip != SYSCALL_PAGE + 0 /* syscall_page_entry */)
        return false;
    f->vector = VEC_SYSCALL;
    f->rip = f->rcx;
    f->rflags = f->r11;
    syscall_dispatch(f);
    return true;
}

/* Vectors 32-255: the LAPIC's own (spurious, timer, reschedule IPI) and device interrupts.
 * The end-of-interrupt comes before the scheduler may switch threads. */
static void interrupt(unsigned vec)
{
    if (vec == VEC_SPURIOUS)
        return; /* no EOI for spurious interrupts (SDM §11.9) */
    if (vec == VEC_TIMER || vec == VEC_RESCHED) {
        arch_lapic_eoi();
        sched_timer_tick();
        return;
    }
    irq_dispatch(vec);
    arch_lapic_eoi();
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
    if (pvm_syscall(f))
        return;
    if (f->vector == 15)
        return; /* reserved by the CPU: only a spurious IRQ 7 from a BIOS-programmed PIC */
    if (f->vector >= 32 && f->vector < 256) {
        interrupt(f->vector);
        if (frame_from_user(f))
            signal_user_return(f); /* the thread may have been away: a signal may wait */
        return;
    }
    if (f->vector == 11 && (f->error & 2) && !frame_from_user(f))
        panic_frame(f, "unexpected interrupt vector %lu (no handler installed)", f->error >> 3);

    if (f->vector == 14) {
        uint64_t addr = read_cr2();
        if (addr < USER_TOP &&
            uspace_fault(addr, f->error & PF_WRITE, f->error & PF_FETCH))
            return;
        if (frame_from_user(f))
            program_killed(SIGSEGV, f, addr);
        panic_frame(f, "kernel page fault at address %lx (error %lx)", addr, f->error);
    }
    if (frame_from_user(f))
        program_killed(signal_for(f->vector), f, 0);
    panic_frame(f, "kernel exception: %s", f->vector < 22 ? names[f->vector] : "unknown");
}

void arch_dump_frame(const struct trap_frame *f)
{
    printk(LOG_ERR,
           " RIP %016lx CS %lx RFLAGS %lx vector %lu error %lx\n"
           " RSP %016lx SS %lx CR2 %016lx CR3 %016lx\n"
           " RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n"
           " RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n"
           " R9  %016lx R10 %016lx R11 %016lx R12 %016lx\n"
           " R13 %016lx R14 %016lx R15 %016lx\n",
           f->rip, f->cs, f->rflags, f->vector, f->error, f->rsp, f->ss, read_cr2(), read_cr3(),
           f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->r8, f->r9, f->r10, f->r11,
           f->r12, f->r13, f->r14, f->r15);
}

void arch_backtrace(uint64_t rbp)
{
    printk(LOG_ERR, " backtrace:");
    for (int depth = 0; depth < 16 && rbp >= KERNEL_VMA && (rbp & 7) == 0; depth++) {
        uint64_t *fp = (uint64_t *)rbp;
        uint64_t ret = fp[1];
        if (ret < KERNEL_VMA)
            break;
        printk(LOG_ERR, " %lx", ret);
        if (fp[0] <= rbp)
            break;
        rbp = fp[0];
    }
    printk(LOG_ERR, "\n");
}
