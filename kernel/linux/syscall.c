/* The Linux system-call ABI (x86-64: number in RAX, arguments in RDI, RSI, RDX, R10, R8, R9,
 * result in RAX; RCX and R11 are clobbered). One table, indexed by number; a missing entry
 * answers -ENOSYS and says so on the console once per number. */
#include <errno.h>

#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/printk.h"
#include "mote/trap.h"

#define NR_MAX 512

typedef long (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

/* Handlers take only the arguments they use; the x86-64 calling convention makes that safe. */
#define SYSCALL_ENTRY(nr, fn) [nr] = (syscall_fn)(void (*)(void))fn,
static const syscall_fn table[NR_MAX] = {SYSCALL_LIST(SYSCALL_ENTRY)};

static uint8_t warned[NR_MAX / 8];
bool syscall_trace;

/* Generated at build time from the host's <asm/unistd_64.h> (kernel.mk). */
extern const char *const syscall_names[];
extern const unsigned syscall_names_count;

void syscall_dispatch(struct trap_frame *f)
{
    uint64_t nr = f->rax;
    long ret;
    syscall_frame = f;
    if (nr < NR_MAX && table[nr]) {
        ret = table[nr](f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
    } else {
        if (nr >= NR_MAX || !(warned[nr / 8] & (1 << (nr % 8)))) {
            if (nr < NR_MAX)
                warned[nr / 8] |= 1 << (nr % 8);
            const char *name = nr < syscall_names_count && syscall_names[nr] ? syscall_names[nr]
                                                                              : "unknown";
            pr_warn("mote: system call %lu (%s) not implemented (ENOSYS)\n", nr, name);
        }
        ret = -ENOSYS;
    }
    if (unlikely(syscall_trace)) {
        const char *name = nr < syscall_names_count && syscall_names[nr] ? syscall_names[nr] : "?";
        pr_warn("[%d] %s(%lx, %lx, %lx, %lx) = %ld\n", process_current()->pid, name, f->rdi,
                f->rsi, f->rdx, f->r10, ret);
    }
    struct process *p = process_current();
    if (unlikely(p->exiting || (p->sigpending & ~p->sigmask) || ret == -ERESTARTSYS))
        ret = signal_on_return(ret, nr);
    f->rax = ret;
    /* As `syscall` leaves them: RCX = return address, R11 = flags; rt_sigreturn restored the
     * interrupted ones (a signal may have come in while the program was not in a call). */
    if (nr != 15 /* rt_sigreturn */) {
        f->rcx = f->rip;
        f->r11 = f->rflags;
    }
}
