/* The AP wakeup hand-over of vmm/kvm/wake.c without /dev/kvm: a thread stands in for the AP's
 * vCPU thread (blocked as in KVM_RUN, back with EINTR on the kick), and this file's ioctl()
 * stands in for KVM, so the kick, immediate_exit, the state checks and the register state the
 * AP gets are all exercised. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/kvm/wake.h"
#include "vmm/log.h"

#define FAKE_FD 4242

/* ---- a fake KVM vCPU behind ioctl() ---- */

static struct {
    uint32_t mp_state;      /* what KVM_GET_MP_STATE reports */
    unsigned long fail_request; /* an ioctl request that fails with EIO, or 0 */
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    int sets;               /* successful KVM_SET_* calls */
} kvm;

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);

    if (fd != FAKE_FD) {
        errno = ENOTTY;
        return -1;
    }
    if (kvm.fail_request && req == kvm.fail_request) {
        errno = EIO;
        return -1;
    }
    switch (req) {
    case KVM_GET_MP_STATE:
        ((struct kvm_mp_state *)arg)->mp_state = kvm.mp_state;
        return 0;
    case KVM_SET_MP_STATE:
        kvm.mp_state = ((struct kvm_mp_state *)arg)->mp_state;
        break;
    case KVM_GET_SREGS:
        *(struct kvm_sregs *)arg = kvm.sregs;
        return 0;
    case KVM_SET_SREGS:
        kvm.sregs = *(struct kvm_sregs *)arg;
        break;
    case KVM_SET_REGS:
        kvm.regs = *(struct kvm_regs *)arg;
        break;
    case KVM_SET_FPU:
        kvm.fpu = *(struct kvm_fpu *)arg;
        break;
    default:
        errno = ENOTTY;
        return -1;
    }
    kvm.sets++;
    return 0;
}

/* ---- the stand-in vCPU thread ---- */

static struct kvm_run run;
static struct vcpu v;
static int stop_pipe[2];
static int kicks, saw_immediate_exit, take;  /* __atomic: shared with the thread */

static void *ap_thread(void *arg)
{
    struct pollfd p = { .fd = stop_pipe[0], .events = POLLIN };
    sigset_t kick, others;

    /* As in KVM_RUN: the kick is taken only inside the blocking call (the kernel sees a
     * pending signal there), after immediate_exit was checked. */
    sigemptyset(&kick);
    sigaddset(&kick, SIG_VCPU_KICK);
    pthread_sigmask(SIG_BLOCK, &kick, &others);
    sigdelset(&others, SIG_VCPU_KICK);
    for (;;) {
        int r = __atomic_load_n(&run.immediate_exit, __ATOMIC_SEQ_CST) ? (errno = EINTR, -1)
                                                                       : ppoll(&p, 1, NULL, &others);
        if (r > 0)
            break;
        if (r < 0 && errno == EINTR) {
            __atomic_add_fetch(&kicks, 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&run.immediate_exit, __ATOMIC_SEQ_CST))
                __atomic_store_n(&saw_immediate_exit, 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&take, __ATOMIC_SEQ_CST))
                vcpu_wake_take(&v);
            else
                usleep(1000);
        }
    }
    vcpu_wake_exit(&v);
    return NULL;
}

static int setup(void **state)
{
    memset(&kvm, 0, sizeof(kvm));
    memset(&run, 0, sizeof(run));
    memset(&v, 0, sizeof(v));
    kicks = saw_immediate_exit = 0;
    take = 1;
    kvm.mp_state = KVM_MP_STATE_UNINITIALIZED;
    kvm.sregs.apic_base = 0xfee00800;
    v.index = 1;
    v.fd = FAKE_FD;
    v.run = &run;
    log_init(LOG_OFF, 2, NULL);
    if (vcpu_signals_init() || vcpu_wake_init(&v) || pipe(stop_pipe))
        return -1;
    return pthread_create(&v.thread, NULL, ap_thread, NULL);
}

static int teardown(void **state)
{
    if (write(stop_pipe[1], "x", 1) != 1)
        return -1;
    pthread_join(v.thread, NULL);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    return 0;
}

static void test_wake(void **state)
{
    assert_int_equal(atomic_load(&v.wake_state), VCPU_HELD);
    assert_int_equal(vcpu_wake(&v, 0x9a000), 0);
    assert_int_equal(atomic_load(&v.wake_state), VCPU_STARTED);
    assert_true(kicks >= 1);
    assert_true(saw_immediate_exit);
    assert_int_equal(run.immediate_exit, 0);          /* cleared for the real KVM_RUN */
    /* the state docs/motevm.md promises */
    assert_int_equal(kvm.mp_state, KVM_MP_STATE_RUNNABLE);
    assert_int_equal(kvm.regs.rip, 0x9a000);
    assert_int_equal(kvm.regs.rdi, 1);
    assert_int_equal(kvm.regs.rsp, 0);
    assert_int_equal(kvm.regs.rflags, 2);
    assert_int_equal(kvm.sregs.cr3, 0xa0000);
    assert_int_equal(kvm.sregs.cr0, 0x80010033);
    assert_int_equal(kvm.sregs.efer, 0x500);
    assert_int_equal(kvm.sregs.cs.selector, 0x08);
    assert_int_equal(kvm.sregs.gdt.base, 0xa3000);
    assert_int_equal(kvm.sregs.apic_base, 0xfee00800);
    assert_int_equal(kvm.fpu.fcw, 0x37f);
    assert_int_equal(kvm.sets, 4);

    /* once started, never again */
    assert_int_equal(vcpu_wake(&v, 0x9a000), -EBUSY);
    assert_int_equal(kvm.sets, 4);
}

static void test_started_by_sipi(void **state)
{
    /* SIPI got there first: KVM says the vCPU runs; nothing is loaded */
    kvm.mp_state = KVM_MP_STATE_RUNNABLE;
    assert_int_equal(vcpu_wake(&v, 0x9a000), -EBUSY);
    assert_int_equal(atomic_load(&v.wake_state), VCPU_STARTED);
    assert_int_equal(kvm.sets, 0);
    assert_int_equal(vcpu_wake(&v, 0x9a000), -EBUSY);
}

static void test_ran_before(void **state)
{
    /* an AP that came out of KVM_RUN with a real exit is refused without a kick */
    vcpu_wake_ran(&v);
    assert_int_equal(atomic_load(&v.wake_state), VCPU_STARTED);
    assert_int_equal(vcpu_wake(&v, 0x9a000), -EBUSY);
    assert_int_equal(kicks, 0);
}

static void test_after_init(void **state)
{
    kvm.mp_state = KVM_MP_STATE_INIT_RECEIVED;  /* INIT without SIPI: still waiting */
    assert_int_equal(vcpu_wake(&v, 0x2000), 0);
    assert_int_equal(kvm.mp_state, KVM_MP_STATE_RUNNABLE);
    assert_int_equal(kvm.regs.rip, 0x2000);
}

static void test_kvm_failure(void **state)
{
    kvm.fail_request = KVM_SET_REGS;
    assert_int_equal(vcpu_wake(&v, 0x9a000), -EIO);
    assert_int_equal(atomic_load(&v.wake_state), VCPU_HELD); /* may be tried again */
    kvm.fail_request = 0;
    assert_int_equal(vcpu_wake(&v, 0x9a000), 0);
}

static void test_thread_does_not_answer(void **state)
{
    __atomic_store_n(&take, 0, __ATOMIC_SEQ_CST); /* back from "KVM_RUN", never takes it */
    assert_int_equal(vcpu_wake(&v, 0x9a000), -ETIMEDOUT);
    assert_int_equal(atomic_load(&v.wake_state), VCPU_HELD);
    assert_int_equal(run.immediate_exit, 0);
    __atomic_store_n(&take, 1, __ATOMIC_SEQ_CST);
    assert_int_equal(vcpu_wake(&v, 0x9a000), 0);
}

static void test_thread_gone(void **state)
{
    assert_int_equal(write(stop_pipe[1], "x", 1), 1);
    while (atomic_load(&v.wake_state) != VCPU_GONE)
        usleep(100);
    assert_int_equal(vcpu_wake(&v, 0x9a000), -ESHUTDOWN);
    assert_int_equal(kvm.sets, 0);
}

static void test_bsp(void **state)
{
    struct vcpu bsp = { .index = 0 };
    assert_int_equal(vcpu_wake_init(&bsp), 0);
    assert_int_equal(atomic_load(&bsp.wake_state), VCPU_STARTED);
    assert_int_equal(vcpu_wake(&bsp, 0x9a000), -EBUSY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_started_by_sipi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ran_before, setup, teardown),
        cmocka_unit_test_setup_teardown(test_after_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kvm_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_does_not_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_gone, setup, teardown),
        cmocka_unit_test(test_bsp),
    };
    return cmocka_run_group_tests_name("vmm_wake", tests, NULL, NULL);
}
