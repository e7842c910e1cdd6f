/* motevm: a KVM microVM monitor, drop-in for the firecracker binary (docs/motevm.md).
 * main: flags and config (no KVM), boot preparation (no KVM), then the machine. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/boot/boot.h"
#include "vmm/config.h"
#include "vmm/devices/devices.h"
#include "vmm/flags.h"
#include "vmm/log.h"
#include "vmm/machine.h"

static void die_bad_input(const char *msg)
{
    fprintf(stderr, "motevm: %s\n", msg);
    exit(EXIT_BAD_INPUT);
}

static void setup_log(const struct vm_config *c)
{
    int fd = STDERR_FILENO;
    if (c->opt.log_path) {
        fd = open(c->opt.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "motevm: --log-path %s: %s\n", c->opt.log_path, strerror(errno));
            exit(EXIT_BAD_INPUT);
        }
    }
    log_init(c->opt.log_level, fd, c->opt.id);
}

/* Appends the virtio-mmio devices to the guest command line, as Firecracker does; the result
 * must still fit in CMDLINE_MAX bytes. */
static void announce_devices(struct vm_config *c)
{
    struct devices_options o;
    char line[2 * CMDLINE_MAX], err[CONFIG_ERR_MAX];

    devices_options_init(&o, c);
    int n = devices_cmdline(&o, c->cmdline, line, sizeof(line));
    if (n == -ENOSPC)
        die_bad_input("devices: more virtio devices than IRQs 5-23");
    if (n < 0 || n > (int)CMDLINE_MAX - 1) {
        snprintf(err, sizeof(err), "command line: too long with the virtio-mmio devices "
                 "appended (%d bytes, at most %u)", n < 0 ? (int)sizeof(line) : n,
                 CMDLINE_MAX - 1);
        die_bad_input(err);
    }
    config_set_str(&c->cmdline, line);
    log_msg(LOG_DEBUG, "guest command line: %s", line);
}

/* The same devices as LNRO0005 nodes in the DSDT (Firecracker announces them both ways). */
static void describe_devices(const struct vm_config *c, struct boot_plan *p)
{
    _Static_assert(VIRTIO_SLOTS_MAX <= ACPI_MMIO_DEVS_MAX, "every virtio slot fits the DSDT");
    struct devices_options o;
    struct virtio_slot s[VIRTIO_SLOTS_MAX];

    devices_options_init(&o, c);
    int n = devices_virtio_slots(&o, s); /* announce_devices has refused -ENOSPC already */
    for (int i = 0; i < n; i++)
        p->mmio_devs[i] = (struct acpi_mmio_dev){ s[i].base, MMIO_SLOT_SIZE, s[i].irq };
    p->n_mmio_devs = n > 0 ? (unsigned)n : 0;
}

int main(int argc, char **argv)
{
    struct timespec start[2];
    clock_gettime(CLOCK_MONOTONIC, &start[0]);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start[1]);

    static struct vm_config cfg;
    static struct boot_plan plan;
    char err[CONFIG_ERR_MAX];
    enum flags_action action;

    config_init(&cfg);
    if (flags_parse(argc, argv, &cfg, &action, err, sizeof(err)))
        die_bad_input(err);
    if (action == FLAGS_HELP) {
        fputs(flags_usage, stdout);
        return EXIT_OK;
    }
    if (action == FLAGS_VERSION) {
        puts(MOTEVM_VERSION_LINE);
        return EXIT_OK;
    }
    setup_log(&cfg);
    if (!cfg.kernel_path && !cfg.opt.no_api)
        die_bad_input("API server: not implemented yet; run with --no-api and --config-file, "
                      "or with --kernel");
    if (cfg.opt.api_sock && cfg.kernel_path)
        log_msg(LOG_WARN, "API server not implemented yet: --api-sock %s ignored",
                cfg.opt.api_sock);
    if (config_validate(&cfg, err, sizeof(err)))
        die_bad_input(err);
    announce_devices(&cfg);
    if (boot_prepare(&plan, &cfg, err, sizeof(err)))
        die_bad_input(err);
    describe_devices(&cfg, &plan);
    return machine_run(&cfg, &plan, start);
}
