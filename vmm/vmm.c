/* The VMM thread; see vmm.h. Signals are taken through a signalfd, API requests through the
 * server's eventfd, metrics on a 60 s timer: one poll loop, no other thread touches the config. */
#include "vmm/vmm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vmm/api/server.h"
#include "vmm/boot/boot.h"
#include "vmm/boot/layout.h"
#include "vmm/devices/devices.h"
#include "vmm/jail/sandbox.h"
#include "vmm/kvm/wake.h"
#include "vmm/log.h"
#include "vmm/machine.h"
#include "vmm/metrics.h"

struct vmm {
    struct vm_config *cfg;
    struct boot_plan plan;
    char cmdline[CMDLINE_MAX];  /* the guest's: boot_args and what the devices announce */
    struct machine machine;
    struct api_vmm api;
    int start_status;           /* the exit status the last failed start would give */
};

static uint64_t us_since(clockid_t clock, const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return (uint64_t)(now.tv_sec - t0->tv_sec) * 1000000 + (now.tv_nsec - t0->tv_nsec) / 1000;
}

/* boot_args followed by the virtio-mmio devices, as Firecracker appends them; the result must
 * still fit in CMDLINE_MAX bytes. The configuration keeps boot_args as given. */
static int guest_cmdline(struct vmm *v, char *err, size_t errlen)
{
    struct devices_options o;
    char line[2 * CMDLINE_MAX];

    devices_options_init(&o, v->cfg);
    int n = devices_cmdline(&o, v->cfg->cmdline, line, sizeof(line));
    if (n == -ENOSPC) {
        snprintf(err, errlen, "devices: more virtio devices than IRQs 5-23");
        return n;
    }
    if (n < 0 || n > (int)CMDLINE_MAX - 1) {
        snprintf(err, errlen, "command line: too long with the virtio-mmio devices appended "
                 "(%d bytes, at most %u)", n < 0 ? (int)sizeof(line) : n, CMDLINE_MAX - 1);
        return -E2BIG;
    }
    memcpy(v->cmdline, line, n + 1);
    log_msg(LOG_DEBUG, "guest command line: %s", line);
    return 0;
}

/* The same devices as LNRO0005 nodes in the DSDT (Firecracker announces them both ways). */
static void describe_devices(const struct vm_config *c, struct boot_plan *p)
{
    _Static_assert(VIRTIO_SLOTS_MAX <= ACPI_MMIO_DEVS_MAX, "every virtio slot fits the DSDT");
    struct devices_options o;
    struct virtio_slot s[VIRTIO_SLOTS_MAX];

    devices_options_init(&o, c);
    int n = devices_virtio_slots(&o, s); /* guest_cmdline has refused -ENOSPC already */
    for (int i = 0; i < n; i++)
        p->mmio_devs[i] = (struct acpi_mmio_dev){ s[i].base, MMIO_SLOT_SIZE, s[i].irq };
    p->n_mmio_devs = n > 0 ? (unsigned)n : 0;
}

/* Every check that needs no KVM: the configuration, the command line with the devices, the
 * kernel, the initrd. */
static int prepare(struct vmm *v, char *err, size_t errlen)
{
    int rc;
    v->start_status = EXIT_BAD_INPUT;
    kernel_close(&v->plan.kernel);
    if ((rc = config_validate(v->cfg, err, errlen)) || (rc = guest_cmdline(v, err, errlen)) ||
        (rc = boot_prepare(&v->plan, v->cfg, err, errlen))) {
        kernel_close(&v->plan.kernel);
        return rc;
    }
    v->plan.cmdline = v->cmdline;
    describe_devices(v->cfg, &v->plan);
    return 0;
}

/* The machine, from a prepared plan; then the VMM thread's filter. */
static int start_prepared(struct vmm *v, char *err, size_t errlen)
{
    if ((v->start_status = machine_start(&v->machine, err, errlen))) {
        kernel_close(&v->plan.kernel);
        return -EIO;
    }
    log_msg(LOG_INFO, "microVM started: %u vCPU(s), %llu MiB", v->cfg->vcpus,
            (unsigned long long)v->cfg->mem_mib);
    sandbox_apply(SANDBOX_VMM);
    return 0;
}

/* InstanceStart. */
static int op_start(void *ctx, char *err, size_t errlen)
{
    struct vmm *v = ctx;
    int rc = prepare(v, err, errlen);
    return rc ? rc : start_prepared(v, err, errlen);
}

static int op_ctrl_alt_del(void *ctx, char *err, size_t errlen)
{
    return machine_ctrl_alt_del(&((struct vmm *)ctx)->machine, err, errlen);
}

static int op_pause(void *ctx, char *err, size_t errlen)
{
    return machine_pause(&((struct vmm *)ctx)->machine, err, errlen);
}

static int op_resume(void *ctx, char *err, size_t errlen)
{
    return machine_resume(&((struct vmm *)ctx)->machine, err, errlen);
}

static int op_change_medium(void *ctx, const char *id, const char *path, char *err,
                            size_t errlen)
{
    return machine_change_medium(&((struct vmm *)ctx)->machine, id, path, err, errlen);
}

static struct api_ops vmm_api_ops = {
    .start = op_start, .ctrl_alt_del = op_ctrl_alt_del, .pause = op_pause, .resume = op_resume,
    .change_medium = op_change_medium,
};

static void noop_handler(int sig)
{
    (void)sig;
}

/* Blocks the signals the loop reads (every later thread inherits the mask). They get a handler
 * too: as the init of a pid namespace (motevm-jailer --new-pid-ns) a signal left at SIG_DFL
 * would be discarded, not queued for the signalfd. */
static int signals_setup(void)
{
    struct sigaction sa = { .sa_handler = noop_handler };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIG_STOP_REQUEST);
    sigaddset(&set, SIG_VCPU_KICK);     /* vCPU threads unblock it for themselves */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigdelset(&set, SIG_VCPU_KICK);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Returns the exit status once the VM stops or a SIGINT/SIGTERM arrives. */
static int loop(struct vmm *v, int sfd, struct api_server *srv)
{
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    next.tv_sec += METRICS_PERIOD_MS / 1000;

    for (;;) {
        struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN },
                                 { .fd = srv ? api_server_fd(srv) : -1, .events = POLLIN } };
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (next.tv_sec - now.tv_sec) * 1000 + (next.tv_nsec - now.tv_nsec) / 1000000;
        if (ms <= 0) {
            if (metrics_sink() >= 0)
                metrics_flush();
            next.tv_sec = now.tv_sec + METRICS_PERIOD_MS / 1000;
            continue;
        }
        if (poll(pfd, 2, ms) < 0)
            continue;
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
                    log_msg(LOG_INFO, "stopping on %s", si.ssi_signo == SIGINT ? "SIGINT"
                                                                              : "SIGTERM");
                    machine_stop(&v->machine, EXIT_OK);
                }
            }
            if (machine_stopping(&v->machine))
                return atomic_load(&v->machine.stop_status);
        }
        if (pfd[1].revents & POLLIN)
            api_server_serve(srv, &v->api);
    }
}

static int open_metrics(struct vm_config *cfg)
{
    if (!cfg->opt.metrics_path)
        return 0;
    int fd = log_open_sink(cfg->opt.metrics_path);
    if (fd < 0) {
        fprintf(stderr, "motevm: --metrics-path %s: %s\n", cfg->opt.metrics_path, strerror(-fd));
        return -1;
    }
    metrics_set_sink(fd);
    return 0;
}

int vmm_run(struct vm_config *cfg, const struct timespec start[2], bool boot_now)
{
    static struct vmm vmm;
    struct vmm *v = &vmm;
    struct api_server *srv = NULL;
    char err[CONFIG_ERR_MAX];
    int status;

    v->cfg = cfg;
    vmm_api_ops.ctx = v;
    v->api = (struct api_vmm){ .cfg = cfg, .state = API_NOT_STARTED, .ops = &vmm_api_ops };
    machine_init(&v->machine, cfg, &v->plan, start);
    sandbox_configure(!cfg->opt.no_seccomp, cfg->opt.seccomp_violate);
    if (!cfg->opt.no_seccomp) {
        v->machine.vcpu_thread_init = sandbox_vcpu_thread;
        v->machine.env.thread_init = sandbox_device_thread;
    }
    if (cfg->opt.seccomp_filter)
        log_msg(LOG_WARN, "--seccomp-filter %s: custom filters are not supported; motevm's "
                          "built-in filters are used", cfg->opt.seccomp_filter);
    int sfd = signals_setup();
    if (sfd < 0) {
        fprintf(stderr, "motevm: signalfd: %s\n", strerror(errno));
        return EXIT_HOST_FAILURE;
    }
    if (open_metrics(cfg))
        return EXIT_BAD_INPUT;
    /* Bad input ends motevm before it binds a socket. */
    if (boot_now && prepare(v, err, sizeof(err))) {
        fprintf(stderr, "motevm: %s\n", err);
        return v->start_status;
    }

    if (!cfg->opt.no_api) {
        const char *path = cfg->opt.api_sock ? cfg->opt.api_sock : API_DEFAULT_SOCK;
        size_t body_max = cfg->opt.api_max_payload ? cfg->opt.api_max_payload
                                                   : HTTP_BODY_MAX_DEFAULT;
        if (api_server_open(&srv, path, body_max, err, sizeof(err))) {
            kernel_close(&v->plan.kernel);
            fprintf(stderr, "motevm: %s\n", err);
            return EXIT_BAD_INPUT;
        }
        if (api_server_start(srv, cfg->opt.no_seccomp ? NULL : sandbox_api_thread)) {
            fprintf(stderr, "motevm: API server: cannot start its thread\n");
            return EXIT_HOST_FAILURE;
        }
        metric_set(M_api_server__process_startup_time_us, us_since(CLOCK_MONOTONIC, &start[0]));
        metric_set(M_api_server__process_startup_time_cpu_us,
                   us_since(CLOCK_PROCESS_CPUTIME_ID, &start[1]));
        log_msg(LOG_INFO, "API server listening on %s", path);
    }
    /* A kernel from the flags or the config file: boot now, as Firecracker does. */
    if (boot_now) {
        if (start_prepared(v, err, sizeof(err))) {
            fprintf(stderr, "motevm: %s\n", err);
            if (srv)
                unlink(cfg->opt.api_sock ? cfg->opt.api_sock : API_DEFAULT_SOCK);
            return v->start_status;
        }
        v->api.state = API_RUNNING;
    }
    status = loop(v, sfd, srv);
    machine_report(&v->machine);
    if (metrics_sink() >= 0)
        metrics_flush();
    if (srv)
        unlink(cfg->opt.api_sock ? cfg->opt.api_sock : API_DEFAULT_SOCK);
    return status;
}
