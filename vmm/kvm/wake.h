/* Starting an AP from the ACPI Multiprocessor Wakeup mailbox, next to INIT-SIPI-SIPI.
 *
 * Every AP thread enters KVM_RUN at once, as before: with the in-kernel LAPIC, KVM holds the
 * vCPU in its wait-for-SIPI state (KVM_MP_STATE_UNINITIALIZED) and runs no guest code, so a
 * guest that uses INIT-SIPI-SIPI starts APs as on any PC. A mailbox wakeup is carried out by the
 * AP's own thread: vcpu_wake (in the thread that took the mailbox write) marks the request,
 * sets kvm_run.immediate_exit and sends SIG_VCPU_KICK to the AP thread; its KVM_RUN returns
 * EINTR (immediate_exit covers a signal that lands just before the ioctl), and vcpu_wake_take
 * checks that the vCPU is still waiting for SIPI, then loads the 64-bit state (KVM_SET_SREGS,
 * KVM_SET_REGS, KVM_SET_FPU) and KVM_SET_MP_STATE(RUNNABLE). vcpu_wake returns when that is
 * done, so the mailbox acknowledges only an AP that is ready to run.
 *
 * States: HELD (never ran guest code) -> PENDING (a wakeup is being applied) -> STARTED; an AP
 * that leaves KVM_RUN with a real exit was started by SIPI and is STARTED too. The BSP starts
 * STARTED. A thread that ends is GONE. */
#ifndef VMM_KVM_WAKE_H
#define VMM_KVM_WAKE_H

#include <signal.h>
#include <stdint.h>

#include "vmm/machine.h"

enum vcpu_wake_state { VCPU_HELD, VCPU_WAKE_PENDING, VCPU_STARTED, VCPU_GONE };

#define VCPU_WAKE_TIMEOUT_MS 1000
#define SIG_VCPU_KICK (SIGRTMIN + 1)

/* Installs the no-op SIG_VCPU_KICK handler. Call once before any vCPU thread starts. */
int vcpu_signals_init(void);

/* Initial state; call from vcpu_create. */
int vcpu_wake_init(struct vcpu *v);

/* Any thread: starts v (which must be HELD) at entry in 64-bit mode and waits until its thread
 * has done so. Returns 0, -EBUSY (not HELD, or it was started by SIPI meanwhile), -ESHUTDOWN
 * (its thread ended), -ETIMEDOUT, or the -errno of a failed KVM ioctl. */
int vcpu_wake(struct vcpu *v, uint64_t entry);

/* v's own thread, after KVM_RUN returned EINTR/EAGAIN: carries out a pending wakeup. */
void vcpu_wake_take(struct vcpu *v);

/* v's own thread, after KVM_RUN returned an exit: the vCPU has run guest code. */
void vcpu_wake_ran(struct vcpu *v);

/* v's own thread, when it stops running the vCPU: fails a waiting vcpu_wake. */
void vcpu_wake_exit(struct vcpu *v);

#endif
