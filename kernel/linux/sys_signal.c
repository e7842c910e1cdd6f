/* Signals, as much as libc start-up and raise() need: actions, the mask and the alternate stack
 * are recorded; a signal a process sends itself is ignored when its action (or default action)
 * is to ignore it, and otherwise ends the process with a report ("program killed: SIGABRT ...")
 * and status 128 + signal. Handlers are recorded but not run yet. */
#include <errno.h>

#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define SIG_DFL 0
#define SIG_IGN 1
#define SIGKILL 9
#define SIGSTOP 19
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

static const char *const sig_names[] = {
    "0",       "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",   "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
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

long sys_rt_sigprocmask(uint64_t how, uint64_t set, uint64_t oset, uint64_t size)
{
    if (size != 8)
        return -EINVAL;
    struct process *p = process_current();
    uint64_t old = p->sigmask, s = 0;
    if (set && copy_from_user(&s, set, sizeof(s)))
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
        p->sigmask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
    }
    if (oset && copy_to_user(oset, &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

long sys_rt_sigreturn(void)
{
    /* No handler ever runs, so no frame to return from. */
    process_exit(11);
}

long sys_sigaltstack(uint64_t ss, uint64_t oss)
{
    struct process *p = process_current();
    uint64_t n[3];
    if (ss && copy_from_user(n, ss, sizeof(n)))
        return -EFAULT;
    if (oss) {
        uint64_t o[3] = {p->altstack[0], p->altstack[1] ? p->altstack[1] : 2 /* SS_DISABLE */,
                         p->altstack[2]};
        if (copy_to_user(oss, o, sizeof(o)))
            return -EFAULT;
    }
    if (ss) {
        int flags = (int)n[1];
        if (flags & ~(2 | (1u << 31)))
            return -EINVAL;
        if (!(flags & 2) && n[2] < 2048)
            return -ENOMEM; /* MINSIGSTKSZ */
        memcpy(p->altstack, n, sizeof(n));
    }
    return 0;
}

/* A signal to the current process. */
long signal_self(int sig)
{
    struct process *p = process_current();
    if (sig == 0)
        return 0;
    uint64_t h = p->sig[sig].handler;
    if (h == SIG_IGN && sig != SIGKILL)
        return 0;
    if (h == SIG_DFL && default_ignored(sig))
        return 0;
    if (h > SIG_IGN && sig != SIGKILL)
        pr_warn("mote: %s has a handler, but handlers do not run yet\n", signal_name(sig));
    pr_err("program killed: %s (sent by the program)\n", signal_name(sig));
    process_exit(sig);
}

long sys_kill(uint64_t pid, uint64_t sig)
{
    if (sig > NSIG)
        return -EINVAL;
    long target = (long)(int)pid;
    struct process *p = process_current();
    if (target == p->pid || target == 0 || target == -1 || target == -p->pid)
        return signal_self((int)sig);
    /* Other processes here are suspended ancestors: a signal to them is not delivered. */
    for (struct process *a = p->parent; a; a = a->parent)
        if (a->pid == target)
            return 0;
    return -ESRCH;
}

long sys_tkill(uint64_t tid, uint64_t sig)
{
    if (sig > NSIG || (long)tid <= 0)
        return -EINVAL;
    if ((long)tid != process_current()->pid)
        return -ESRCH;
    return signal_self((int)sig);
}

long sys_tgkill(uint64_t tgid, uint64_t tid, uint64_t sig)
{
    if ((long)tgid <= 0)
        return -EINVAL;
    if ((long)tgid != process_current()->pid)
        return -ESRCH;
    return sys_tkill(tid, sig);
}
