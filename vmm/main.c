/* motevm: a KVM microVM monitor, drop-in for the firecracker binary (docs/motevm.md).
 * main: flags and config file into one struct vm_config, the log, then the VMM thread. */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/config.h"
#include "vmm/flags.h"
#include "vmm/log.h"
#include "vmm/machine.h"
#include "vmm/vmm.h"

static void die_bad_input(const char *msg)
{
    fprintf(stderr, "motevm: %s\n", msg);
    exit(EXIT_BAD_INPUT);
}

static void setup_log(const struct vm_config *c)
{
    char err[CONFIG_ERR_MAX];
    log_init(c->opt.log_level, STDERR_FILENO, c->opt.id);
    log_set_format(c->opt.show_level, c->opt.show_log_origin);
    if (c->opt.log_path && log_open(c->opt.log_path, err, sizeof(err))) {
        fprintf(stderr, "motevm: --log-path %s\n", err);
        exit(EXIT_BAD_INPUT);
    }
}

/* stdin, stdout and stderr must exist: otherwise the API socket or an eventfd would get their
 * numbers, and log lines or console output would go into it. */
static void ensure_stdio(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            exit(EXIT_HOST_FAILURE);
}

int main(int argc, char **argv)
{
    struct timespec start[2];
    clock_gettime(CLOCK_MONOTONIC, &start[0]);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start[1]);

    static struct vm_config cfg;
    char err[CONFIG_ERR_MAX];
    enum flags_action action;

    /* One malloc arena for every thread: freeing in a thread's own arena may read
     * /proc/sys/vm/overcommit_memory (glibc shrink_heap), which the seccomp filters forbid. */
    mallopt(M_ARENA_MAX, 1);
    ensure_stdio();
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
    /* The short form (--kernel) is motevm's own: no API socket unless --api-sock asks. */
    if (cfg.opt.short_form && !cfg.opt.api_sock)
        cfg.opt.no_api = true;
    /* --no-api, or a kernel from the flags or the config file: boot at once. */
    return vmm_run(&cfg, start, cfg.opt.no_api || cfg.kernel_path);
}
