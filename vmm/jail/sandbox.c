/* Per-thread seccomp filters; see sandbox.h. System calls are listed by what each thread does,
 * glibc's own needs (malloc arenas, stdio, thread exit) included. */
#include "vmm/jail/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool sandbox_on;
static int sandbox_violate = -1;

static const char *const kind_names[] = { "api", "vmm", "vcpu", "device" };

int sandbox_kind_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, kind_names[i]))
            return i;
    return -1;
}

void sandbox_configure(bool enabled, const char *violate)
{
    sandbox_on = enabled;
    sandbox_violate = violate ? sandbox_kind_parse(violate) : -1;
}

/* Every thread: memory (malloc), locks, signals, time, its own exit, log lines. */
static const int common_calls[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close), SCMP_SYS(futex), SCMP_SYS(mmap),
    SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(brk),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(sched_yield), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
    SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
    SCMP_SYS(getrandom), SCMP_SYS(rseq), SCMP_SYS(set_robust_list),
};

/* API thread: the listening socket and its connections, the hand-over eventfd. */
static const int api_calls[] = {
    SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(poll),
    SCMP_SYS(ppoll), SCMP_SYS(shutdown), SCMP_SYS(setsockopt),
};

/* VMM thread after the build: signalfd/eventfd polling, logger and metrics files (PUT /logger,
 * PUT /metrics open them), file checks (PATCH /drives), stop requests (kill), pause (tgkill),
 * KVM statistics and the socket's removal at exit. */
static const int vmm_calls[] = {
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(openat), SCMP_SYS(fcntl), SCMP_SYS(dup3),
    SCMP_SYS(kill), SCMP_SYS(pread64), SCMP_SYS(lseek), SCMP_SYS(ioctl), SCMP_SYS(unlink),
    SCMP_SYS(unlinkat), SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
};

/* vCPU threads: KVM_RUN and the ioctls exits need (register dumps, the ACPI mailbox wakeup of
 * an AP: kvm/wake.c), console output, stop requests. */
static const int vcpu_calls[] = { SCMP_SYS(kill), SCMP_SYS(writev) };
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN, KVM_IRQ_LINE, KVM_GET_REGS, KVM_GET_SREGS, KVM_SET_REGS, KVM_SET_SREGS,
    KVM_SET_FPU, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
};

/* Device threads: virtio queues (eventfd poll, file I/O of virtio-blk, virtio-net's epoll loop
 * and tap I/O, irqfd writes or KVM_IRQ_LINE), the console's input thread (stdin). */
static const int device_calls[] = {
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(preadv), SCMP_SYS(pwritev), SCMP_SYS(preadv2),
    SCMP_SYS(pwritev2), SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(fdatasync),
    SCMP_SYS(fsync), SCMP_SYS(lseek), SCMP_SYS(kill), SCMP_SYS(writev), SCMP_SYS(readv),
    SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg),
};
static const unsigned long device_ioctls[] = { KVM_IRQ_LINE, TUNSETOFFLOAD };

static int add_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
        if (rc)
            return rc;
    }
    return 0;
}

#define ADD_ALL(ctx, a) add_all(ctx, a, sizeof(a) / sizeof(a[0]))

static int add_ioctls(scmp_filter_ctx ctx, const unsigned long *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                  SCMP_A1(SCMP_CMP_EQ, cmds[i]));
        if (rc)
            return rc;
    }
    return 0;
}

static int build(scmp_filter_ctx ctx, enum sandbox_kind kind)
{
    int rc = ADD_ALL(ctx, common_calls);
    if (rc)
        return rc;
    switch (kind) {
    case SANDBOX_API:
        return ADD_ALL(ctx, api_calls);
    case SANDBOX_VMM:
        return ADD_ALL(ctx, vmm_calls);
    case SANDBOX_VCPU:
        if ((rc = ADD_ALL(ctx, vcpu_calls)))
            return rc;
        return add_ioctls(ctx, vcpu_ioctls, sizeof(vcpu_ioctls) / sizeof(vcpu_ioctls[0]));
    case SANDBOX_DEVICE:
        if ((rc = ADD_ALL(ctx, device_calls)))
            return rc;
        return add_ioctls(ctx, device_ioctls, sizeof(device_ioctls) / sizeof(device_ioctls[0]));
    }
    return -EINVAL;
}

void sandbox_apply(enum sandbox_kind kind)
{
    if (!sandbox_on)
        goto violate;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    int rc = ctx ? build(ctx, kind) : -ENOMEM;
    if (!rc)
        rc = seccomp_load(ctx);
    if (ctx)
        seccomp_release(ctx);
    if (rc) {
        fprintf(stderr, "motevm: seccomp: cannot load the %s filter: %s (--no-seccomp turns "
                        "filtering off)\n", kind_names[kind], strerror(-rc));
        exit(2);
    }
violate:
    if (sandbox_violate == (int)kind) {
        /* Debug: a call no filter allows. Harmless when it is allowed (bad arguments). */
        syscall(SYS_mknodat, AT_FDCWD, "", 0, 0);
    }
}

void sandbox_api_thread(void)
{
    sandbox_apply(SANDBOX_API);
}

void sandbox_vcpu_thread(void)
{
    sandbox_apply(SANDBOX_VCPU);
}

void sandbox_device_thread(void)
{
    sandbox_apply(SANDBOX_DEVICE);
}
