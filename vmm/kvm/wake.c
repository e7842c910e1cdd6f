/* Mailbox wakeup of APs; see wake.h. KVM: Documentation/virt/kvm/api.rst, KVM_SET_MP_STATE and
 * "immediate_exit". */
#include "vmm/kvm/wake.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "vmm/boot/regs.h"
#include "vmm/log.h"


static void kick_handler(int sig)
{
    (void)sig; /* only there to make KVM_RUN return EINTR */
}

int vcpu_signals_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler;
    sa.sa_flags = SA_RESTART; /* other system calls of the vCPU thread are not disturbed */
    sigemptyset(&sa.sa_mask);
    return sigaction(SIG_VCPU_KICK, &sa, NULL) ? -errno : 0;
}

int vcpu_wake_init(struct vcpu *v)
{
    pthread_condattr_t attr;
    int rc;

    atomic_init(&v->wake_state, v->index == 0 ? VCPU_STARTED : VCPU_HELD);
    if ((rc = pthread_mutex_init(&v->wake_lock, NULL)))
        return -rc;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&v->wake_done, &attr);
    pthread_condattr_destroy(&attr);
    return -rc;
}

static void set_immediate_exit(struct vcpu *v, uint8_t on)
{
    __atomic_store_n(&v->run->immediate_exit, on, __ATOMIC_SEQ_CST);
}

int vcpu_wake(struct vcpu *v, uint64_t entry)
{
    struct timespec deadline;
    int expected = VCPU_HELD, rc;

    pthread_mutex_lock(&v->wake_lock);
    if (!atomic_compare_exchange_strong(&v->wake_state, &expected, VCPU_WAKE_PENDING)) {
        pthread_mutex_unlock(&v->wake_lock);
        return expected == VCPU_GONE ? -ESHUTDOWN : -EBUSY;
    }
    v->wake_entry = entry;
    v->wake_rc = -ETIMEDOUT;
    set_immediate_exit(v, 1);
    if ((rc = pthread_kill(v->thread, SIG_VCPU_KICK))) {
        atomic_store(&v->wake_state, VCPU_HELD);
        set_immediate_exit(v, 0);
        pthread_mutex_unlock(&v->wake_lock);
        return -rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += VCPU_WAKE_TIMEOUT_MS / 1000;
    while (atomic_load(&v->wake_state) == VCPU_WAKE_PENDING)
        if (pthread_cond_timedwait(&v->wake_done, &v->wake_lock, &deadline) == ETIMEDOUT)
            break;
    if (atomic_load(&v->wake_state) == VCPU_WAKE_PENDING) {
        /* Its thread did not come out of KVM_RUN: withdraw the request (under the lock, so
         * vcpu_wake_take will find nothing to do). */
        atomic_store(&v->wake_state, VCPU_HELD);
        set_immediate_exit(v, 0);
        log_msg(LOG_ERROR, "vcpu%u: wakeup not taken within %d ms", v->index,
                VCPU_WAKE_TIMEOUT_MS);
    }
    rc = v->wake_rc;
    pthread_mutex_unlock(&v->wake_lock);
    return rc;
}

/* Loads the 64-bit entry state and makes the vCPU runnable; v's thread, lock held. */
static int start_ap(struct vcpu *v, uint64_t entry)
{
    struct kvm_mp_state mp;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_fpu fpu;

    if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0)
        return -errno;
    if (mp.mp_state != KVM_MP_STATE_UNINITIALIZED && mp.mp_state != KVM_MP_STATE_INIT_RECEIVED)
        return -EBUSY; /* SIPI got there first */
    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    boot_ap_sregs(&sregs);
    boot_ap_regs(&regs, v->index, entry);
    boot_fpu(&fpu);
    mp.mp_state = KVM_MP_STATE_RUNNABLE;
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(v->fd, KVM_SET_REGS, &regs) < 0 ||
        ioctl(v->fd, KVM_SET_FPU, &fpu) < 0 || ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
        return -errno;
    return 0;
}

void vcpu_wake_take(struct vcpu *v)
{
    if (atomic_load(&v->wake_state) != VCPU_WAKE_PENDING)
        return;
    pthread_mutex_lock(&v->wake_lock);
    if (atomic_load(&v->wake_state) == VCPU_WAKE_PENDING) {
        set_immediate_exit(v, 0);
        int rc = start_ap(v, v->wake_entry);
        if (rc && rc != -EBUSY)
            log_msg(LOG_ERROR, "vcpu%u: cannot start at 0x%llx: %s", v->index,
                    (unsigned long long)v->wake_entry, strerror(-rc));
        v->wake_rc = rc;
        /* A failed ioctl leaves the vCPU waiting for SIPI: it may be woken again. */
        atomic_store(&v->wake_state, rc && rc != -EBUSY ? VCPU_HELD : VCPU_STARTED);
        pthread_cond_broadcast(&v->wake_done);
    }
    pthread_mutex_unlock(&v->wake_lock);
}

void vcpu_wake_ran(struct vcpu *v)
{
    int held = VCPU_HELD;
    int s = atomic_load_explicit(&v->wake_state, memory_order_relaxed);
    if (s == VCPU_HELD && atomic_compare_exchange_strong(&v->wake_state, &held, VCPU_STARTED))
        return;
    /* A request that raced with SIPI: settle it now (KVM says running, so it is refused),
     * before this thread handles its exit and perhaps waits for the requester's locks. */
    if (s == VCPU_WAKE_PENDING || held == VCPU_WAKE_PENDING)
        vcpu_wake_take(v);
}

void vcpu_wake_exit(struct vcpu *v)
{
    pthread_mutex_lock(&v->wake_lock);
    if (atomic_load(&v->wake_state) == VCPU_WAKE_PENDING)
        v->wake_rc = -ESHUTDOWN;
    atomic_store(&v->wake_state, VCPU_GONE);
    pthread_cond_broadcast(&v->wake_done);
    pthread_mutex_unlock(&v->wake_lock);
}
