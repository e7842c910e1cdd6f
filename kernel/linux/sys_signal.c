/* Signals (kill, tkill, tgkill, raise, SIGPIPE, SIGCHLD, kill from another process): blocked
 * ones wait in the pending set until unblocked; an ignored one (by action or by default)
 * vanishes; a handler runs on the way back to user mode (from a system call, or from the timer
 * interrupt for a process computing in user mode), on a frame laid out as Linux's x86-64
 * rt_sigframe (the alternate stack with SA_ONSTACK), and rt_sigreturn resumes from it; otherwise
 * the process ends with status 128 + signal (pid 1 reports it: "program killed: SIGABRT (sent by
 * the program)"). A signal wakes a thread blocked where Linux's would be interruptible (pipes,
 * wait4, futex, nanosleep): the call restarts if the handler has SA_RESTART, else fails with
 * EINTR. Faults are not delivered to handlers: they end the process (core/main.c). */
#include <errno.h>

#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/layout.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define SIG_DFL 0
#define SIG_IGN 1
#define SIGKILL 9
#define SIGSTOP 19
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SA_ONSTACK 0x08000000
#define SA_RESTORER 0x04000000
#define SA_SIGINFO 4
#define SA_RESTART 0x10000000
#define NR_RT_SIGRETURN 15
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

static const char *const sig_names[] = {
    "0",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
};

const char *signal_name(int sig)
{
    return sig > 0 && sig < (int)ARRAY_SIZE(sig_names) ? sig_names[sig] : "SIGRT";
}

/* Default action "ignore" (signal(7)); stop/continue are ignored too: no job control here. */
static bool default_ignored(int sig)
{
    return sig == 17 || sig == 18 || sig == 19 || sig == 20 || sig == 21 || sig == 22 ||
           sig == 23 || sig == 28;
}

long sys_rt_sigaction(uint64_t sig, uint64_t act, uint64_t oact, uint64_t size)
{
    if (sig < 1 || sig > NSIG || size != 8)
        return -EINVAL;
    struct process *p = process_current();
    struct sigaction_k k;
    if (act && copy_from_user(&k, act, sizeof(k)))
        return -EFAULT;
    if (act && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    if (oact && copy_to_user(oact, &p->sig[sig], sizeof(k)))
        return -EFAULT;
    if (act)
        p->sig[sig] = k;
    return 0;
}

static uint64_t bit(int sig)
{
    return 1ull << (sig - 1);
}

/* The kernel's struct rt_sigframe (arch/x86/include/asm/sigframe.h), fpstate left out. */
struct sigcontext_k {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
        eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};
_Static_assert(sizeof(struct sigcontext_k) == 256, "struct sigcontext");

struct ucontext_k {
    uint64_t flags, link;
    uint64_t stack[3];
    struct sigcontext_k mc;
    uint64_t sigmask;
};

struct siginfo_k {
    int32_t signo, errno_, code, pad;
    int32_t pid, uid;
    uint8_t rest[104];
};
_Static_assert(sizeof(struct siginfo_k) == 128, "siginfo_t");

struct rt_sigframe {
    uint64_t pretcode;
    struct ucontext_k uc;
    struct siginfo_k info;
};

#define SI_USER 0
#define SI_TKILL (-6)

static bool on_altstack(const struct process *p, uint64_t sp)
{
    return !(p->altstack[1] & SS_DISABLE) && sp > p->altstack[0] &&
           sp <= p->altstack[0] + p->altstack[2];
}

/* Runs the handler of sig next: the frame goes on the user stack and syscall_frame is pointed at
 * the handler. Returns the value the interrupted system call returns (kept in the frame). */
static long run_handler(int sig, long ret)
{
    struct process *p = process_current();
    struct sigaction_k *a = &p->sig[sig];
    struct trap_frame *f = syscall_frame;
    if (!(a->flags & SA_RESTORER)) {
        pr_err("mote: handler for %s has no SA_RESTORER: cannot return from it\n",
               signal_name(sig));
        process_exit(sig);
    }
    uint64_t sp = f->rsp - 128; /* the red zone */
    if ((a->flags & SA_ONSTACK) && !(p->altstack[1] & SS_DISABLE) && !on_altstack(p, f->rsp))
        sp = p->altstack[0] + p->altstack[2];
    sp = ALIGN_DOWN(sp - sizeof(struct rt_sigframe), 16) - 8;
    struct rt_sigframe fr;
    memset(&fr, 0, sizeof(fr));
    fr.pretcode = a->restorer;
    fr.uc.stack[0] = p->altstack[0];
    fr.uc.stack[1] = on_altstack(p, f->rsp) ? SS_ONSTACK : (p->altstack[1] & SS_DISABLE);
    fr.uc.stack[2] = p->altstack[2];
    struct sigcontext_k *mc = &fr.uc.mc;
    mc->r8 = f->r8, mc->r9 = f->r9, mc->r10 = f->r10, mc->r11 = f->r11;
    mc->r12 = f->r12, mc->r13 = f->r13, mc->r14 = f->r14, mc->r15 = f->r15;
    mc->rdi = f->rdi, mc->rsi = f->rsi, mc->rbp = f->rbp, mc->rbx = f->rbx;
    mc->rdx = f->rdx, mc->rax = ret, mc->rcx = f->rcx, mc->rsp = f->rsp, mc->rip = f->rip;
    mc->eflags = f->rflags;
    mc->cs = SEL_UCODE;
    mc->ss = SEL_UDATA;
    uint64_t saved = p->sigmask_restore ? p->sigmask_saved : p->sigmask;
    p->sigmask_restore = false;
    mc->oldmask = saved;
    fr.uc.sigmask = saved;
    fr.info.signo = sig;
    fr.info.code = SI_TKILL;
    fr.info.pid = p->pid;
    if (copy_to_user(sp, &fr, sizeof(fr))) {
        pr_err("program killed: SIGSEGV (no room for the %s frame at %lx)\n", signal_name(sig), sp);
        process_exit(11);
    }
    p->sigmask |= a->mask | (a->flags & SA_NODEFER ? 0 : bit(sig));
    p->sigmask &= ~(bit(SIGKILL) | bit(SIGSTOP));
    if (a->flags & SA_RESETHAND)
        a->handler = SIG_DFL;
    f->rsp = sp;
    f->rip = a->handler;
    f->rdi = sig;
    f->rsi = sp + __builtin_offsetof(struct rt_sigframe, info);
    f->rdx = sp + __builtin_offsetof(struct rt_sigframe, uc);
    /* syscall_dispatch stores the result in RAX: the handler ignores it. */
    return sig;
}

/* Acts on sig now (it is not blocked): ignore, default action, or the handler. */
static long act(int sig, long ret)
{
    struct process *p = process_current();
    uint64_t h = p->sig[sig].handler;
    if (sig == SIGKILL || (h == SIG_DFL && !default_ignored(sig))) {
        if (!p->parent) /* the program the VM runs; a child's end is its parent's to report */
            pr_err("program killed: %s (sent by %s)\n", signal_name(sig),
                   (p->sigfrom & bit(sig)) ? "another process" : "the program");
        process_exit(sig);
    }
    if (h == SIG_IGN || h == SIG_DFL)
        return ret;
    return run_handler(sig, ret);
}

/* Delivers the lowest pending unblocked signal, if any; ret is the system call's own result. */
static long deliver_pending(long ret)
{
    struct process *p = process_current();
    uint64_t ready = p->sigpending & ~p->sigmask;
    if (!ready)
        return ret;
    int sig = __builtin_ctzll(ready) + 1;
    p->sigpending &= ~bit(sig);
    return act(sig, ret);
}

long sys_rt_sigprocmask(uint64_t how, uint64_t set, uint64_t oset, uint64_t size)
{
    if (size != 8)
        return -EINVAL;
    struct process *p = process_current();
    uint64_t old = p->sigmask, s = 0;
    if (set && copy_from_user(&s, set, sizeof(s)))
        return -EFAULT;
    if (oset && copy_to_user(oset, &old, sizeof(old)))
        return -EFAULT;
    if (set) {
        if (how == SIG_BLOCK)
            p->sigmask |= s;
        else if (how == SIG_UNBLOCK)
            p->sigmask &= ~s;
        else if (how == SIG_SETMASK)
            p->sigmask = s;
        else
            return -EINVAL;
        p->sigmask &= ~(bit(SIGKILL) | bit(SIGSTOP));
    }
    return deliver_pending(0);
}

long sys_rt_sigreturn(void)
{
    struct process *p = process_current();
    struct trap_frame *f = syscall_frame;
    /* The handler's `ret` popped pretcode: the frame starts 8 bytes below. */
    struct rt_sigframe fr;
    if (copy_from_user(&fr, f->rsp - 8, sizeof(fr))) {
        pr_err("program killed: SIGSEGV (bad signal frame at %lx)\n", f->rsp - 8);
        process_exit(11);
    }
    const struct sigcontext_k *mc = &fr.uc.mc;
    if (mc->rip >= USER_TOP || mc->rsp >= USER_TOP) {
        pr_err("program killed: SIGSEGV (signal frame returns to %lx)\n", mc->rip);
        process_exit(11);
    }
    f->r8 = mc->r8, f->r9 = mc->r9, f->r10 = mc->r10, f->r11 = mc->r11;
    f->r12 = mc->r12, f->r13 = mc->r13, f->r14 = mc->r14, f->r15 = mc->r15;
    f->rdi = mc->rdi, f->rsi = mc->rsi, f->rbp = mc->rbp, f->rbx = mc->rbx;
    f->rdx = mc->rdx, f->rsp = mc->rsp, f->rip = mc->rip, f->rcx = mc->rcx;
    /* Only the arithmetic flags, DF and TF come from the frame (IF and IOPL stay ours). */
    f->rflags = (f->rflags & ~0x4dd5ull) | (mc->eflags & 0x4dd5ull);
    p->sigmask = fr.uc.sigmask & ~(bit(SIGKILL) | bit(SIGSTOP));
    return deliver_pending((long)mc->rax);
}

long sys_sigaltstack(uint64_t ss, uint64_t oss)
{
    struct process *p = process_current();
    uint64_t n[3];
    if (ss && copy_from_user(n, ss, sizeof(n)))
        return -EFAULT;
    if (oss) {
        uint64_t o[3] = {p->altstack[0], p->altstack[1], p->altstack[2]};
        if (on_altstack(p, syscall_frame->rsp))
            o[1] = SS_ONSTACK;
        if (copy_to_user(oss, o, sizeof(o)))
            return -EFAULT;
    }
    if (ss) {
        uint32_t flags = (uint32_t)n[1];
        if (on_altstack(p, syscall_frame->rsp))
            return -EPERM;
        if (flags & ~(SS_DISABLE | (1u << 31)))
            return -EINVAL;
        if (flags & SS_DISABLE) {
            p->altstack[0] = p->altstack[2] = 0;
            p->altstack[1] = SS_DISABLE;
        } else {
            if (n[2] < 2048)
                return -ENOMEM; /* MINSIGSTKSZ */
            p->altstack[0] = n[0];
            p->altstack[1] = 0;
            p->altstack[2] = n[2];
        }
    }
    return 0;
}

long signal_self(int sig, long ret)
{
    struct process *p = process_current();
    if (sig == 0)
        return ret;
    p->sigfrom &= ~bit(sig);
    if (sig != SIGKILL && (p->sigmask & bit(sig))) {
        p->sigpending |= bit(sig);
        return ret;
    }
    return act(sig, ret);
}

void signal_send(struct process *p, int sig)
{
    if (sig <= 0 || sig > NSIG || p->zombie || p->exiting)
        return;
    uint64_t h = p->sig[sig].handler;
    bool blocked = sig != SIGKILL && (p->sigmask & bit(sig));
    if (!blocked && sig != SIGKILL && (h == SIG_IGN || (h == SIG_DFL && default_ignored(sig))))
        return;
    p->sigpending |= bit(sig);
    p->sigfrom |= bit(sig);
    if (!blocked)
        process_interrupt(p);
}

long signal_on_return(long ret, uint64_t nr)
{
    struct process *p = process_current();
    if (p->exiting)
        process_leave();
    uint64_t ready = p->sigpending & ~p->sigmask;
    if (ret == -ERESTARTSYS && nr != (uint64_t)-1) {
        struct trap_frame *f = syscall_frame;
        int sig = ready ? __builtin_ctzll(ready) + 1 : 0;
        if (sig && (p->sig[sig].handler <= SIG_IGN || (p->sig[sig].flags & SA_RESTART))) {
            f->rip -= 2; /* back onto the syscall instruction, with its number in RAX */
            ret = (long)nr;
        } else {
            ret = -EINTR;
        }
    }
    if (ready)
        ret = deliver_pending(ret);
    if (p->sigmask_restore) { /* rt_sigsuspend woke for a signal that ran no handler */
        p->sigmask = p->sigmask_saved;
        p->sigmask_restore = false;
    }
    return ret;
}

/* Blocks with the mask set until a signal that is not blocked comes (rt_sigsuspend(2)): its
 * handler runs with that mask, and the old one comes back when it returns. */
static long suspend_with(uint64_t mask)
{
    struct process *p = process_current();
    p->sigmask_saved = p->sigmask;
    p->sigmask_restore = true;
    p->sigmask = mask & ~(bit(SIGKILL) | bit(SIGSTOP));
    struct wait_queue never = WAIT_QUEUE_INIT; /* only a signal wakes it (process_interrupt) */
    spinlock_t lock = SPINLOCK_INIT;
    while (uwait_on(&never, &lock, spin_lock(&lock), 0) == 0)
        ;
    return -EINTR;
}

long sys_rt_sigsuspend(uint64_t uset, uint64_t size)
{
    uint64_t set;
    if (size != 8)
        return -EINVAL;
    if (copy_from_user(&set, uset, sizeof(set)))
        return -EFAULT;
    return suspend_with(set);
}

long sys_pause(void)
{
    return suspend_with(process_current()->sigmask);
}

void signal_fatal_now(void)
{
    struct process *p = process_current();
    if (p->exiting)
        process_leave();
    uint64_t ready = p->sigpending & ~p->sigmask;
    for (int sig = 1; ready; sig++, ready >>= 1)
        if ((ready & 1) && (sig == SIGKILL || (p->sig[sig].handler == SIG_DFL &&
                                                !default_ignored(sig)))) {
            p->sigpending &= ~bit(sig);
            act(sig, 0);
        }
}

void signal_user_return(struct trap_frame *f)
{
    struct uthread *u = current()->proc;
    if (!u)
        return;
    struct process *p = u->proc;
    if (likely(!p->exiting && !(p->sigpending & ~p->sigmask)))
        return;
    /* The timer took the CPU from user mode: every register is the program's, RAX too. */
    u->frame = f;
    long rax = signal_on_return((long)f->rax, (uint64_t)-1); /* -1: not a system call */
    f->rax = rax;
}

long sys_kill(uint64_t pid, uint64_t sig)
{
    if (sig > NSIG)
        return -EINVAL;
    long target = (long)(int)pid;
    struct process *p = process_current();
    if (target == p->pid || target == 0 || target == -p->pid)
        return signal_self((int)sig, 0);
    if (target == -1) {
        /* Every process but pid 1 and the caller, then the caller (kill(2)). */
        for (struct process *q = process_first(); q; q = q->all_next)
            if (q != p && q->parent && !q->zombie)
                signal_send(q, (int)sig);
        return signal_self((int)sig, 0);
    }
    /* Each process is its own group: kill(-pgid) is kill(pgid). A zombie takes the signal and
     * ignores it, as on Linux. */
    struct process *q = process_find(target < 0 ? -target : target);
    if (!q)
        return -ESRCH;
    signal_send(q, (int)sig);
    return 0;
}

long sys_tkill(uint64_t tid, uint64_t sig)
{
    if (sig > NSIG || (long)tid <= 0)
        return -EINVAL;
    struct process *p = process_current();
    for (struct uthread *u = p->threads; u; u = u->next)
        if (u->tid == (long)tid)
            return signal_self((int)sig, 0); /* signals are the process's here, not a thread's */
    struct process *q = process_find((int)tid);
    if (!q || q->zombie)
        return -ESRCH;
    signal_send(q, (int)sig);
    return 0;
}

long sys_tgkill(uint64_t tgid, uint64_t tid, uint64_t sig)
{
    if ((long)tgid <= 0)
        return -EINVAL;
    if (sig > NSIG || (long)tid <= 0)
        return -EINVAL;
    struct process *q = process_find((int)tgid);
    if (!q || q->zombie)
        return -ESRCH;
    if (q != process_current()) {
        signal_send(q, (int)sig);
        return 0;
    }
    return sys_tkill(tid, sig);
}
