/* One running microVM: the KVM VM, its vCPU threads, the device bus, and how it stops.
 * main.c validates the configuration and prepares the boot (no KVM), then calls machine_run. */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "vmm/boot/boot.h"
#include "vmm/config.h"
#include "vmm/devices/bus.h"
#include "vmm/devices/device.h"
#include "vmm/kvm/vm.h"

/* Exit statuses (docs/motevm.md). */
#define EXIT_OK 0
#define EXIT_BAD_INPUT 1
#define EXIT_HOST_FAILURE 2
#define EXIT_TRIPLE_FAULT 120
#define EXIT_KVM_ERROR 121
/* EXIT_GUEST_PANIC 122 is in devices/device.h */

struct machine;

struct vcpu {
    unsigned index;
    int fd;
    int stats_fd;               /* -1 unless --level debug and the kernel has binary stats */
    struct kvm_run *run;
    pthread_t thread;
    struct machine *m;
    /* ACPI Multiprocessor Wakeup (kvm/wake.c) */
    pthread_mutex_t wake_lock;
    pthread_cond_t wake_done;
    atomic_int wake_state;      /* enum vcpu_wake_state */
    uint64_t wake_entry;        /* WakeupVector of the pending request */
    int wake_rc;                /* its result */
};

struct machine {
    const struct vm_config *cfg;
    struct boot_plan *plan;
    struct kvm_vm vm;
    struct vcpu vcpus[VCPUS_MAX];
    struct bus bus;
    struct dev_env env;
    int tap_fds[NETS_MAX];      /* the network interfaces' taps, opened before /dev/kvm */
    atomic_int stop_status;     /* -1 while running; the first stop request sets it */
};

/* Builds the VM from a prepared boot plan, runs it, and returns motevm's exit status. Host
 * failures print "motevm: <what>: <why>" and return EXIT_HOST_FAILURE. start[0] is the
 * CLOCK_MONOTONIC and start[1] the CLOCK_PROCESS_CPUTIME_ID time taken first thing in main. */
int machine_run(const struct vm_config *c, struct boot_plan *p,
                const struct timespec start[2]);

/* Asks the VM to stop with this exit status; the first request wins. Any thread. */
void machine_stop(struct machine *m, int status);

static inline bool machine_stopping(struct machine *m)
{
    return atomic_load_explicit(&m->stop_status, memory_order_relaxed) >= 0;
}

#endif
