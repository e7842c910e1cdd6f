/* One running microVM: the KVM VM, its vCPU threads, the device bus, and how it stops.
 * The VMM thread (vmm.c) validates the configuration and prepares the boot (no KVM), then calls
 * machine_start, from main (--no-api, --config-file) or from the API's InstanceStart. */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
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
    bool touched_kvm;           /* a failed start got as far as creating the VM */
    void (*vcpu_thread_init)(void);  /* runs first on each vCPU thread (seccomp); may be NULL */
    /* PATCH /vm: vCPU threads park while pause_req is set. */
    pthread_mutex_t pause_lock;
    pthread_cond_t pause_cond;
    atomic_bool pause_req;
    unsigned parked;
};

/* Signals used: SIGINT/SIGTERM stop the VM (clean), SIG_STOP_REQUEST is machine_stop's wake-up
 * for the VMM thread, SIG_VCPU_KICK (kvm/wake.h) takes a vCPU out of KVM_RUN (MP wakeup,
 * pause). */
#define SIG_STOP_REQUEST SIGUSR2

/* Fills m; nothing touches KVM yet. start[0] is the CLOCK_MONOTONIC and start[1] the
 * CLOCK_PROCESS_CPUTIME_ID time taken first thing in main. */
void machine_init(struct machine *m, const struct vm_config *c, struct boot_plan *p,
                  const struct timespec start[2]);

/* Builds the VM from the prepared boot plan and starts the vCPU threads. Call with SIGINT,
 * SIGTERM and SIG_STOP_REQUEST blocked (vmm.c). Returns 0, or the exit status motevm would end
 * with (EXIT_HOST_FAILURE, EXIT_BAD_INPUT) and err = "<what>: <why>". After a failure that
 * created the VM (m->touched_kvm) the machine cannot be started again. */
int machine_start(struct machine *m, char *err, size_t errlen);

/* Debug-level statistics at exit (KVM binary stats, unhandled accesses). */
void machine_report(struct machine *m);

/* PATCH /vm. Returns 0 or -errno with err set. */
int machine_pause(struct machine *m, char *err, size_t errlen);
int machine_resume(struct machine *m, char *err, size_t errlen);

/* PATCH /drives path_on_host after start: the drive's virtio-blk device takes the new file.
 * Returns 0 or -errno with err set. */
int machine_change_medium(struct machine *m, const char *drive_id, const char *path, char *err,
                          size_t errlen);

/* SendCtrlAltDel: the key presses on the i8042. Returns 0 or -errno with err set. */
int machine_ctrl_alt_del(struct machine *m, char *err, size_t errlen);

/* Asks the VM to stop with this exit status; the first request wins. Any thread. */
void machine_stop(struct machine *m, int status);

static inline bool machine_stopping(struct machine *m)
{
    return atomic_load_explicit(&m->stop_status, memory_order_relaxed) >= 0;
}

#endif
