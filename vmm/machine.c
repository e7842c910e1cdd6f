/* Building and running one microVM; see machine.h. The main thread only waits: vCPU threads
 * and device callbacks ask it to stop through machine_stop, Ctrl-C and SIGTERM do the same. */
#include "vmm/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/devices/devices.h"
#include "vmm/kvm/stats.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/wake.h"
#include "vmm/log.h"
#include "vmm/net/tap.h"

#define SIG_STOP_REQUEST SIGUSR2

void machine_stop(struct machine *m, int status)
{
    int running = -1;
    if (atomic_compare_exchange_strong(&m->stop_status, &running, status))
        kill(getpid(), SIG_STOP_REQUEST); /* blocked everywhere; the main thread sigwaits */
}

static void env_set_irq(void *ctx, unsigned irq, bool level)
{
    struct machine *m = ctx;
    kvm_vm_set_irq(&m->vm, irq, level);
}

static void env_stop(void *ctx, int status)
{
    machine_stop(ctx, status);
}

static int env_wake_cpu(void *ctx, uint32_t apic_id, uint64_t entry)
{
    struct machine *m = ctx;
    if (apic_id >= m->cfg->vcpus)
        return -ENOENT;     /* APIC id = vCPU index (cpuid.c, mptable.c, acpi/tables.c) */
    return vcpu_wake(&m->vcpus[apic_id], entry);
}

/* A guest write of datamatch (len bytes) at addr signals fd inside KVM, without an exit. */
static int env_ioeventfd(void *ctx, uint64_t addr, unsigned len, uint64_t datamatch, int fd)
{
    struct machine *m = ctx;
    struct kvm_ioeventfd io = { .datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
                                .flags = KVM_IOEVENTFD_FLAG_DATAMATCH };
    return ioctl(m->vm.vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

/* A write to fd injects an edge on GSI irq. */
static int env_irqfd(void *ctx, unsigned irq, int fd)
{
    struct machine *m = ctx;
    struct kvm_irqfd f = { .fd = (uint32_t)fd, .gsi = irq };
    return ioctl(m->vm.vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

static void report_debug(struct machine *m)
{
    char line[512];

    if (!log_enabled(LOG_DEBUG))
        return;
    for (unsigned i = 0; i < m->cfg->vcpus; i++) {
        const struct vcpu *v = &m->vcpus[i];
        if (v->stats_fd < 0)
            continue;
        int n = stats_read(v->stats_fd, line, sizeof(line));
        if (n < 0)
            log_msg(LOG_DEBUG, "vcpu%u stats: unreadable: %s", i, strerror(-n));
        else
            log_msg(LOG_DEBUG, "vcpu%u stats: %s", i, line);
    }
    for (unsigned i = 0; i < m->bus.n; i++) {
        const struct bus_region *r = &m->bus.regions[i];
        if (r->ops->report) {
            r->ops->report(r->dev, line, sizeof(line));
            log_msg(LOG_DEBUG, "%s: %s", r->name, line);
        }
    }
    log_msg(LOG_DEBUG, "unhandled accesses: pio reads=%lu writes=%lu, mmio reads=%lu writes=%lu",
            atomic_load(&m->bus.unknown_reads[BUS_PIO]),
            atomic_load(&m->bus.unknown_writes[BUS_PIO]),
            atomic_load(&m->bus.unknown_reads[BUS_MMIO]),
            atomic_load(&m->bus.unknown_writes[BUS_MMIO]));
}

/* Blocks until a stop request or a termination signal; returns the exit status. */
static int wait_for_stop(struct machine *m, const sigset_t *set)
{
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(set, &info);
        if (sig < 0)
            continue; /* EINTR */
        if (sig == SIG_STOP_REQUEST && machine_stopping(m))
            break;
        if (sig == SIGINT || sig == SIGTERM) {
            log_msg(LOG_INFO, "stopping on %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
            machine_stop(m, EXIT_OK);
            break;
        }
    }
    return atomic_load(&m->stop_status);
}

/* Every network interface's tap, before /dev/kvm is opened. A tap that is missing, busy, not
 * a tap or not ours is the configuration's fault (EXIT_BAD_INPUT); no /dev/net/tun is the
 * host's. The fds live as long as the process. */
static int open_taps(struct machine *m)
{
    char err[CONFIG_ERR_MAX];

    for (unsigned i = 0; i < m->cfg->nnets; i++) {
        const struct net_config *n = &m->cfg->nets[i];
        int fd = tap_open(n->host_dev, err, sizeof(err));
        if (fd < 0) {
            fprintf(stderr, "motevm: network interface %s: %s\n", n->id, err);
            while (i--)
                close(m->tap_fds[i]);
            return fd == -ENODEV || fd == -EBUSY || fd == -EPERM || fd == -EINVAL ||
                           fd == -ENAMETOOLONG
                       ? EXIT_BAD_INPUT
                       : EXIT_HOST_FAILURE;
        }
        m->tap_fds[i] = fd;
    }
    return EXIT_OK;
}

static int build(struct machine *m)
{
    char err[CONFIG_ERR_MAX];
    const char *dev = NULL;
    int rc;

    if ((rc = open_taps(m)) != EXIT_OK)
        return rc;
    struct kvm_vm_options vo = { m->plan->ram_size, m->cfg->huge_pages, m->cfg->pit };
    if (kvm_vm_create(&m->vm, &vo, err, sizeof(err))) {
        fprintf(stderr, "motevm: %s\n", err);
        return EXIT_HOST_FAILURE;
    }
    if (boot_load(m->plan, &m->vm.mem, err, sizeof(err))) {
        fprintf(stderr, "motevm: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    kernel_close(&m->plan->kernel);
    struct devices_options dopt;
    devices_options_init(&dopt, m->cfg);
    dopt.tap_fds = m->tap_fds;
    if ((rc = devices_attach(&m->bus, &m->env, &dopt, &dev))) {
        fprintf(stderr, "motevm: device %s: %s\n", dev, strerror(-rc));
        return EXIT_HOST_FAILURE;
    }
    unsigned max = kvm_vm_max_vcpus(&m->vm);
    if (m->cfg->vcpus > max) {
        fprintf(stderr, "motevm: vcpu_count %u: KVM on this host allows at most %u vCPUs\n",
                m->cfg->vcpus, max);
        return EXIT_HOST_FAILURE;
    }
    for (unsigned i = 0; i < m->cfg->vcpus; i++) {
        if (vcpu_create(m, i, err, sizeof(err))) {
            fprintf(stderr, "motevm: %s\n", err);
            return EXIT_HOST_FAILURE;
        }
    }
    return EXIT_OK;
}

int machine_run(const struct vm_config *c, struct boot_plan *p,
                const struct timespec start[2])
{
    static struct machine machine;
    struct machine *m = &machine;
    sigset_t set;
    int status;

    m->cfg = c;
    m->plan = p;
    atomic_init(&m->stop_status, -1);
    m->env = (struct dev_env){ .ctx = m, .set_irq = env_set_irq, .stop = env_stop,
                               .wake_cpu = env_wake_cpu,
                               .in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO,
                               .start_wall = start[0], .start_cpu = start[1],
                               .mem = &m->vm.mem, .ioeventfd = env_ioeventfd,
                               .irqfd = env_irqfd };

    /* Every thread inherits this mask; only the main thread takes these signals. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIG_STOP_REQUEST);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((status = build(m)) != EXIT_OK)
        return status;
    if ((status = vcpu_signals_init())) {
        fprintf(stderr, "motevm: vCPU kick signal: %s\n", strerror(-status));
        return EXIT_HOST_FAILURE;
    }
    /* APs first (they wait for SIPI or the mailbox): every thread exists, and its pthread_t
     * is known, before the BSP can run guest code that wakes one. */
    for (unsigned i = c->vcpus; i-- > 0;) {
        int rc = vcpu_start(&m->vcpus[i]);
        if (rc) {
            fprintf(stderr, "motevm: vcpu%u: cannot start thread: %s\n", i, strerror(-rc));
            return EXIT_HOST_FAILURE;
        }
    }
    status = wait_for_stop(m, &set);
    report_debug(m);
    return status;
}
