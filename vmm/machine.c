/* Building and running one microVM; see machine.h. vCPU threads and device callbacks ask the
 * VMM thread to stop through machine_stop; it waits for that in vmm.c. */
#include "vmm/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/devices/devices.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/virtio_blk.h"
#include "vmm/kvm/stats.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/wake.h"
#include "vmm/log.h"
#include "vmm/net/tap.h"

void machine_stop(struct machine *m, int status)
{
    int running = -1;
    if (atomic_compare_exchange_strong(&m->stop_status, &running, status)) {
        pthread_mutex_lock(&m->pause_lock);
        pthread_cond_broadcast(&m->pause_cond);     /* parked vCPUs see the stop */
        pthread_mutex_unlock(&m->pause_lock);
        kill(getpid(), SIG_STOP_REQUEST); /* blocked everywhere; the VMM thread reads it */
    }
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

/* Every network interface's tap, before /dev/kvm is opened. A tap that is missing, busy, not
 * a tap or not ours is the configuration's fault (EXIT_BAD_INPUT); no /dev/net/tun is the
 * host's. The fds live as long as the VM; a start that fails before the VM exists closes them,
 * so that it can be retried. */
static int open_taps(struct machine *m, char *err, size_t errlen)
{
    char why[CONFIG_ERR_MAX];

    for (unsigned i = 0; i < m->cfg->nnets; i++) {
        const struct net_config *n = &m->cfg->nets[i];
        int fd = tap_open(n->host_dev, why, sizeof(why));
        if (fd < 0) {
            snprintf(err, errlen, "network interface %s: %s", n->id, why);
            while (i--) {
                close(m->tap_fds[i]);
                m->tap_fds[i] = -1;
            }
            return fd == -ENODEV || fd == -EBUSY || fd == -EPERM || fd == -EINVAL ||
                           fd == -ENAMETOOLONG
                       ? EXIT_BAD_INPUT
                       : EXIT_HOST_FAILURE;
        }
        m->tap_fds[i] = fd;
    }
    return EXIT_OK;
}

static void close_taps(struct machine *m)
{
    for (unsigned i = 0; i < NETS_MAX; i++) {
        if (m->tap_fds[i] >= 0)
            close(m->tap_fds[i]);
        m->tap_fds[i] = -1;
    }
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

void machine_report(struct machine *m)
{
    char line[512];

    if (!log_enabled(LOG_DEBUG) || !m->touched_kvm)
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

void machine_init(struct machine *m, const struct vm_config *c, struct boot_plan *p,
                  const struct timespec start[2])
{
    memset(m, 0, sizeof(*m));
    m->cfg = c;
    m->plan = p;
    atomic_init(&m->stop_status, -1);
    m->env = (struct dev_env){ .ctx = m, .set_irq = env_set_irq, .stop = env_stop,
                               .wake_cpu = env_wake_cpu,
                               .in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO,
                               .start_wall = start[0], .start_cpu = start[1],
                               .mem = &m->vm.mem, .ioeventfd = env_ioeventfd,
                               .irqfd = env_irqfd };
    pthread_mutex_init(&m->pause_lock, NULL);
    pthread_cond_init(&m->pause_cond, NULL);
    for (unsigned i = 0; i < VCPUS_MAX; i++)
        m->vcpus[i].stats_fd = -1;
    for (unsigned i = 0; i < NETS_MAX; i++)
        m->tap_fds[i] = -1;
}

int machine_start(struct machine *m, char *err, size_t errlen)
{
    char why[CONFIG_ERR_MAX];
    const char *dev = NULL;
    int rc;

    if (m->touched_kvm) {
        snprintf(err, errlen, "a previous start failed after the VM was created; "
                              "start a new motevm process");
        return EXIT_HOST_FAILURE;
    }
    if ((rc = open_taps(m, err, errlen)) != EXIT_OK)
        return rc;
    struct kvm_vm_options vo = { m->plan->ram_size, m->cfg->huge_pages, m->cfg->pit };
    if (kvm_vm_create(&m->vm, &vo, why, sizeof(why))) {
        if (m->vm.kvm_fd >= 0)
            m->touched_kvm = true;
        else
            close_taps(m);
        snprintf(err, errlen, "%s", why);
        return EXIT_HOST_FAILURE;
    }
    m->touched_kvm = true;
    if (boot_load(m->plan, &m->vm.mem, why, sizeof(why))) {
        snprintf(err, errlen, "%s", why);
        return EXIT_BAD_INPUT;
    }
    kernel_close(&m->plan->kernel);
    struct devices_options dopt;
    devices_options_init(&dopt, m->cfg);
    dopt.tap_fds = m->tap_fds;
    if ((rc = devices_attach(&m->bus, &m->env, &dopt, &dev))) {
        snprintf(err, errlen, "device %s: %s", dev, strerror(-rc));
        return EXIT_HOST_FAILURE;
    }
    unsigned max = kvm_vm_max_vcpus(&m->vm);
    if (m->cfg->vcpus > max) {
        snprintf(err, errlen, "vcpu_count %u: KVM on this host allows at most %u vCPUs",
                 m->cfg->vcpus, max);
        return EXIT_HOST_FAILURE;
    }
    for (unsigned i = 0; i < m->cfg->vcpus; i++) {
        if (vcpu_create(m, i, why, sizeof(why))) {
            snprintf(err, errlen, "%s", why);
            return EXIT_HOST_FAILURE;
        }
    }
    if ((rc = vcpu_signals_init())) {
        snprintf(err, errlen, "vCPU kick signal: %s", strerror(-rc));
        return EXIT_HOST_FAILURE;
    }
    /* APs first (they wait for SIPI or the mailbox): every thread exists, and its pthread_t
     * is known, before the BSP can run guest code that wakes one. */
    for (unsigned i = m->cfg->vcpus; i-- > 0;) {
        if ((rc = vcpu_start(&m->vcpus[i]))) {
            snprintf(err, errlen, "vcpu%u: cannot start thread: %s", i, strerror(-rc));
            return EXIT_HOST_FAILURE;
        }
    }
    return 0;
}

int machine_pause(struct machine *m, char *err, size_t errlen)
{
    struct timespec deadline;
    int rc = 0;

    atomic_store(&m->pause_req, true);
    for (unsigned i = 0; i < m->cfg->vcpus; i++) {
        m->vcpus[i].run->immediate_exit = 1;
        pthread_kill(m->vcpus[i].thread, SIG_VCPU_KICK);
    }
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 2;
    pthread_mutex_lock(&m->pause_lock);
    while (m->parked < m->cfg->vcpus && !machine_stopping(m) && !rc)
        rc = pthread_cond_timedwait(&m->pause_cond, &m->pause_lock, &deadline);
    pthread_mutex_unlock(&m->pause_lock);
    if (rc) {
        snprintf(err, errlen, "vm: the vCPUs did not pause within 2 s");
        return -rc;
    }
    return 0;
}

int machine_resume(struct machine *m, char *err, size_t errlen)
{
    pthread_mutex_lock(&m->pause_lock);
    atomic_store(&m->pause_req, false);
    pthread_cond_broadcast(&m->pause_cond);
    pthread_mutex_unlock(&m->pause_lock);
    return 0;
}

int machine_ctrl_alt_del(struct machine *m, char *err, size_t errlen)
{
    struct i8042 *k = bus_device(&m->bus, "i8042");
    int rc = k ? i8042_ctrl_alt_del(k) : -ENODEV;
    if (rc)
        snprintf(err, errlen, "SendCtrlAltDel: i8042: %s", strerror(-rc));
    return rc;
}

int machine_change_medium(struct machine *m, const char *drive_id, const char *path, char *err,
                          size_t errlen)
{
    struct devices_options o;
    struct virtio_slot s[VIRTIO_SLOTS_MAX];

    devices_options_init(&o, m->cfg);
    int n = devices_virtio_slots(&o, s);
    for (int i = 0; i < n; i++) {
        if (strcmp(s[i].name, "virtio-blk") || strcmp(devices_drive(&o, s[i].index)->id, drive_id))
            continue;
        for (unsigned r = 0; r < m->bus.n; r++) {
            const struct bus_region *reg = &m->bus.regions[r];
            if (reg->space != BUS_MMIO || reg->base != s[i].base)
                continue;
            int rc = virtio_blk_change_medium(reg->dev, path); /* the bus holds the virtio_blk */
            if (rc)
                snprintf(err, errlen, "drives: %s: %s", path, strerror(-rc));
            return rc;
        }
    }
    snprintf(err, errlen, "drives: drive \"%s\" has no block device", drive_id);
    return -ENODEV;
}
