/* Process system calls: identity, limits, uname/sysinfo/prctl, fork/vfork/execve/wait4/exit,
 * futex for one thread, scheduler queries, getrandom. */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/exec.h"
#include "mote/layout.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/random.h"
#include "mote/sched.h"
#include "mote/spinlock.h"
#include "mote/string.h"
#include "mote/trap.h"
#include "mote/uspace.h"
#include "mote/x86.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARG_MAX (128 * 1024)
#define ARGV_MAX 4096

long sys_getpid(void)
{
    return process_current()->pid;
}

long sys_gettid(void)
{
    return uthread_current()->tid;
}

long sys_getppid(void)
{
    struct process *p = process_current()->parent;
    return p ? p->pid : 0;
}

long sys_getuid(void)
{
    return 0;
}
long sys_geteuid(void)
{
    return 0;
}
long sys_getgid(void)
{
    return 0;
}
long sys_getegid(void)
{
    return 0;
}
long sys_setuid(uint64_t uid)
{
    return uid == 0 ? 0 : -EPERM;
}
long sys_setgid(uint64_t gid)
{
    return gid == 0 ? 0 : -EPERM;
}
/* One session, one process group: each process leads its own. */
long sys_getpgrp(void)
{
    return process_current()->pid;
}
long sys_getpgid(uint64_t pid)
{
    return pid ? (long)pid : process_current()->pid;
}
long sys_getsid(uint64_t pid)
{
    return 1;
}
long sys_setpgid(uint64_t pid, uint64_t pgid)
{
    return 0;
}
long sys_setsid(void)
{
    return process_current()->pid;
}

long sys_set_tid_address(uint64_t tidptr)
{
    uthread_current()->clear_tid = tidptr;
    return uthread_current()->tid;
}

long sys_set_robust_list(uint64_t head, uint64_t len)
{
    return len == 24 ? 0 : -EINVAL; /* recorded nowhere: one thread, nothing to clean up */
}

long sys_rseq(uint64_t rseq, uint64_t len, uint64_t flags, uint64_t sig)
{
    return -ENOSYS; /* libc then goes without (glibc >= 2.35 registers it when offered) */
}

long sys_arch_prctl(uint64_t code, uint64_t addr)
{
    uint64_t v;
    switch (code) {
    case ARCH_SET_FS:
        if (addr >= USER_TOP)
            return -EPERM;
        arch_set_fs_base(addr);
        return 0;
    case ARCH_GET_FS:
        v = arch_get_fs_base();
        return copy_to_user(addr, &v, sizeof(v));
    case ARCH_SET_GS:
    case ARCH_GET_GS:
        return -EINVAL; /* not offered yet: the kernel's syscall entry swaps GS */
    default:
        return -EINVAL;
    }
}

struct utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

long sys_uname(uint64_t buf)
{
    static const struct utsname u = {"Linux", "mote", "6.1.0-mote", "#1 Mote", "x86_64", "(none)"};
    return copy_to_user(buf, &u, sizeof(u));
}

struct sysinfo {
    int64_t uptime;
    uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char f[4];
};
_Static_assert(sizeof(struct sysinfo) == 112, "struct sysinfo");

long sys_sysinfo(uint64_t info)
{
    struct sysinfo si = {0};
    si.uptime = vfs_now().sec; /* monotonic seconds; see sys_time.c */
    si.totalram = page_total_count() * PAGE_SIZE;
    si.freeram = page_free_count() * PAGE_SIZE;
    si.procs = 1;
    si.mem_unit = 1;
    return copy_to_user(info, &si, sizeof(si));
}

#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_SET_PDEATHSIG 1
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4

long sys_prctl(uint64_t op, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct process *p = process_current();
    char name[16];
    long n;
    switch (op) {
    case PR_SET_NAME:
        n = strncpy_from_user(name, a2, sizeof(name));
        if (n == -EFAULT)
            return -EFAULT;
        name[sizeof(name) - 1] = '\0';
        memcpy(p->comm, name, sizeof(name));
        return 0;
    case PR_GET_NAME:
        return copy_to_user(a2, p->comm, sizeof(p->comm));
    case PR_SET_PDEATHSIG:
    case PR_SET_DUMPABLE:
        return 0;
    case PR_GET_DUMPABLE:
        return 1;
    default:
        return -EINVAL;
    }
}

struct rlimit {
    uint64_t cur, max;
};
#define RLIM_INFINITY (~0ull)
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIMIT_NLIMITS 16

static struct rlimit rlimit_of(unsigned res)
{
    switch (res) {
    case RLIMIT_STACK:
        return (struct rlimit){8ull << 20, 8ull << 20};
    case RLIMIT_NOFILE:
        return (struct rlimit){FD_MAX, FD_MAX};
    default:
        return (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
    }
}

long sys_prlimit64(uint64_t pid, uint64_t res, uint64_t new, uint64_t old)
{
    if (res >= RLIMIT_NLIMITS)
        return -EINVAL;
    if (pid && pid != (uint64_t)process_current()->pid)
        return -ESRCH;
    struct rlimit r = rlimit_of(res);
    if (old && copy_to_user(old, &r, sizeof(r)))
        return -EFAULT;
    if (new) {
        struct rlimit n;
        if (copy_from_user(&n, new, sizeof(n)))
            return -EFAULT;
        if (n.cur > n.max)
            return -EINVAL;
        /* Accepted; the limits are fixed by the kernel's own sizes. */
    }
    return 0;
}

long sys_getrlimit(uint64_t res, uint64_t rlim)
{
    return sys_prlimit64(0, res, 0, rlim);
}

long sys_setrlimit(uint64_t res, uint64_t rlim)
{
    return sys_prlimit64(0, res, rlim, 0);
}

struct rusage {
    int64_t utime[2], stime[2];
    int64_t rest[14];
};

long sys_getrusage(uint64_t who, uint64_t ru)
{
    struct rusage r = {0};
    return copy_to_user(ru, &r, sizeof(r));
}

long sys_times(uint64_t buf)
{
    int64_t t[4] = {0};
    if (buf && copy_to_user(buf, t, sizeof(t)))
        return -EFAULT;
    return vfs_now().sec * 100; /* clock ticks (AT_CLKTCK 100) since boot */
}

long sys_sched_yield(void)
{
    return 0;
}

long sys_sched_getaffinity(uint64_t pid, uint64_t len, uint64_t mask)
{
    if (len < 8 || (len & 7))
        return -EINVAL;
    uint64_t set = 1; /* CPU 0 */
    if (copy_to_user(mask, &set, sizeof(set)))
        return -EFAULT;
    return 8;
}

/* Programs run on CPU 0 only (docs/linux-abi.md): a mask without it names no CPU they may use,
 * which Linux refuses with EINVAL. */
long sys_sched_setaffinity(uint64_t pid, uint64_t len, uint64_t mask)
{
    uint8_t first;
    if (len == 0)
        return -EINVAL;
    if (copy_from_user(&first, mask, 1))
        return -EFAULT;
    return (first & 1) ? 0 : -EINVAL;
}

long sys_getcpu(uint64_t cpu, uint64_t node, uint64_t cache)
{
    uint32_t zero = 0; /* CPU 0, NUMA node 0 */
    if (cpu && copy_to_user(cpu, &zero, sizeof(zero)))
        return -EFAULT;
    if (node && copy_to_user(node, &zero, sizeof(zero)))
        return -EFAULT;
    return 0;
}

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

long sys_getrandom(uint64_t buf, uint64_t len, uint64_t flags)
{
    if (flags & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if (len > 33554431)
        len = 33554431; /* Linux caps one call at 32 MiB - 1 */
    if (!user_range_ok(buf, len, true))
        return -EFAULT;
    random_fill((void *)buf, len);
    return len;
}

/* ---- futex (futex(2)): waiters in one list, keyed by address space and address (private
 * futexes; a vfork child shares its parent's) ---- */

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK 0x7f

struct futex_waiter {
    struct mm *mm; /* the address space uaddr belongs to (processes reuse addresses) */
    uint64_t uaddr;
    struct thread *t;
    struct wait_queue wq;
    bool woken;
    struct futex_waiter *next;
};

static spinlock_t futex_lock = SPINLOCK_INIT;
static struct futex_waiter *waiters;

static void unlink_waiter(struct futex_waiter *w)
{
    for (struct futex_waiter **pp = &waiters; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            return;
        }
}

/* Wakes up to n waiters on uaddr; moves up to m more to uaddr2 when requeue. Lock held. */
static long wake_locked(uint64_t uaddr, long n, uint64_t uaddr2, long m, bool requeue)
{
    long woken = 0, moved = 0;
    struct mm *mm = mm_current();
    for (struct futex_waiter **pp = &waiters; *pp;) {
        struct futex_waiter *w = *pp;
        if (w->uaddr != uaddr || w->mm != mm) {
            pp = &w->next;
            continue;
        }
        if (woken < n) {
            *pp = w->next;
            w->woken = true;
            wake_one(&w->wq);
            woken++;
            continue;
        }
        if (requeue && moved < m) {
            w->uaddr = uaddr2;
            moved++;
        }
        pp = &w->next;
    }
    return woken + (requeue ? moved : 0);
}

long futex_wake(uint64_t uaddr, int n)
{
    uint64_t flags = spin_lock(&futex_lock);
    long r = wake_locked(uaddr, n, 0, 0, false);
    spin_unlock(&futex_lock, flags);
    return r;
}

long sys_futex(uint64_t uaddr, uint64_t op, uint64_t val, uint64_t timeout, uint64_t uaddr2,
               uint64_t val3)
{
    int cmd = op & FUTEX_CMD_MASK;
    if (uaddr & 3)
        return -EINVAL;
    if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET)
        return futex_wake(uaddr, (int)val <= 0 ? 0 : (int)val);
    if (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE) {
        uint32_t cur;
        if (copy_from_user(&cur, uaddr, sizeof(cur)))
            return -EFAULT;
        if (cmd == FUTEX_CMP_REQUEUE && cur != (uint32_t)val3)
            return -EAGAIN;
        uint64_t flags = spin_lock(&futex_lock);
        long r = wake_locked(uaddr, (int)val, uaddr2, (long)(int)timeout, true);
        spin_unlock(&futex_lock, flags);
        return r;
    }
    if (cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
        return -ENOSYS;
    if (cmd == FUTEX_WAIT_BITSET && (uint32_t)val3 == 0)
        return -EINVAL;
    uint64_t deadline = 0; /* TSC; 0 = none */
    if (timeout) {
        struct ktimespec t;
        if (copy_from_user(&t, timeout, sizeof(t)))
            return -EFAULT;
        if (!ktimespec_ok(&t))
            return -EINVAL;
        uint64_t ns = (uint64_t)MIN(t.sec, 1ll << 32) * 1000000000ull + t.nsec;
        deadline = cmd == FUTEX_WAIT ? rdtsc() + ns_to_tsc(ns)
                                     : time_tsc_of_clock_ns((op & FUTEX_CLOCK_REALTIME) != 0, ns);
        if (!deadline)
            deadline = 1;
    }
    struct futex_waiter w = {mm_current(), uaddr, current(), WAIT_QUEUE_INIT, false, NULL};
    uint64_t flags = spin_lock(&futex_lock);
    uint32_t cur;
    if (copy_from_user(&cur, uaddr, sizeof(cur))) {
        spin_unlock(&futex_lock, flags);
        return -EFAULT;
    }
    if (cur != (uint32_t)val) {
        spin_unlock(&futex_lock, flags);
        return -EAGAIN;
    }
    if (process_current()->nthreads <= 1 && !deadline) {
        spin_unlock(&futex_lock, flags);
        pr_warn("mote: futex wait with no other thread to wake it (EINTR)\n");
        return -EINTR;
    }
    w.next = waiters;
    waiters = &w;
    int rc = uwait_on(&w.wq, &futex_lock, flags, deadline);
    if (w.woken)
        return 0;
    flags = spin_lock(&futex_lock);
    unlink_waiter(&w);
    spin_unlock(&futex_lock, flags);
    return rc == -ETIMEDOUT ? -ETIMEDOUT : (rc || signal_interrupts()) ? -EINTR : 0;
}

/* ---- fork, exec, exit, wait ---- */

#define SIGCHLD 17
#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000

long sys_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    return process_fork(syscall_frame, flags, stack, ptid, ctid, tls);
}

long sys_clone3(uint64_t args, uint64_t size)
{
    return -ENOSYS; /* libc falls back to clone */
}

long sys_fork(void)
{
    return process_fork(syscall_frame, SIGCHLD, 0, 0, 0, 0);
}

long sys_vfork(void)
{
    return process_fork(syscall_frame, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

long sys_exit(uint64_t status)
{
    thread_exit_user((status & 0xff) << 8);
}

long sys_exit_group(uint64_t status)
{
    process_exit((status & 0xff) << 8);
}

long sys_wait4(uint64_t pid, uint64_t status, uint64_t options, uint64_t rusage)
{
    if (options & ~(uint64_t)(1 | 2 | 8 | 0x01000000 | 0x40000000 | 0x80000000))
        return -EINVAL;
    if (rusage) {
        struct rusage r = {0};
        if (copy_to_user(rusage, &r, sizeof(r)))
            return -EFAULT;
    }
    return process_wait((int)pid, status, (int)options); /* pid_t: the upper half is junk */
}

/* Copies a NULL-terminated user array of strings into one kernel block. */
static long copy_strings(uint64_t uv, char *block, size_t *used, const char **out, int max)
{
    int n = 0;
    if (!uv)
        return 0;
    for (;; n++) {
        uint64_t p;
        if (copy_from_user(&p, uv + 8 * n, sizeof(p)))
            return -EFAULT;
        if (!p)
            break;
        if (n == max)
            return -E2BIG;
        long len = strncpy_from_user(block + *used, p, ARG_MAX - *used);
        if (len == -ENAMETOOLONG)
            return -E2BIG;
        if (len < 0)
            return len;
        out[n] = block + *used;
        *used += len + 1;
    }
    out[n] = NULL;
    return n;
}

long sys_execve(uint64_t upath, uint64_t uargv, uint64_t uenvp)
{
    if (process_current()->nthreads > 1) {
        pr_warn("mote: execve in a process with threads is not supported (EAGAIN)\n");
        return -EAGAIN;
    }
    char *block = kmalloc(ARG_MAX + PATH_MAX);
    const char **argv = kmalloc(2 * (ARGV_MAX + 1) * sizeof(char *));
    long rc = -ENOMEM;
    if (!block || !argv)
        goto out;
    const char **envp = argv + ARGV_MAX + 1;
    char *path = block + ARG_MAX;
    rc = strncpy_from_user(path, upath, PATH_MAX);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        rc = -ENOENT;
        goto out;
    }
    size_t used = 0;
    long argc = copy_strings(uargv, block, &used, argv, ARGV_MAX);
    if (argc < 0) {
        rc = argc;
        goto out;
    }
    long envc = copy_strings(uenvp, block, &used, envp, ARGV_MAX);
    if (envc < 0) {
        rc = envc;
        goto out;
    }
    if (argc == 0) {
        argv[0] = path; /* Linux passes an empty argv; libc start-up wants argv[0] */
        argv[1] = NULL;
        argc = 1;
    }
    struct exec_result ex;
    rc = exec_program(path, argc, argv, envc, envp, false, &ex);
    if (rc)
        goto out;
    /* The new program starts as the first did: clean registers, no TLS, default handlers. */
    fd_close_on_exec();
    struct process *p = process_current();
    timer_exec(p);
    uthread_current()->clear_tid = 0; /* it pointed into the old image */
    for (int s = 1; s <= NSIG; s++)
        if (p->sig[s].handler > 1)
            p->sig[s].handler = 0;
    p->altstack[0] = p->altstack[2] = 0;
    p->altstack[1] = 2; /* SS_DISABLE */
    arch_set_fs_base(0);
    struct trap_frame *f = syscall_frame;
    uint64_t vec = f->vector;
    memset(f, 0, sizeof(*f));
    f->vector = vec;
    f->rip = ex.entry;
    f->rsp = ex.sp;
    f->cs = SEL_UCODE;
    f->ss = SEL_UDATA;
    f->rflags = 0x202;
    rc = 0;
out:
    kfree(block);
    kfree(argv);
    return rc;
}
