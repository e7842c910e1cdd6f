/* Flag table and parser; see flags.h. */
#include "vmm/flags.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

const char flags_usage[] =
    "usage: motevm --config-file FILE --no-api [options]\n"
    "       motevm --kernel VMLINUX [--initrd FILE] [--cmdline ARGS] [--mem MIB] [--vcpus N]\n"
    "              [--boot-protocol linux|pvh] [--pit] [--drive PATH[,ro][,root][,id=ID]]\n"
    "              [--net TAP[,mac=MAC][,id=ID]] [--rng] [--no-acpi] [options]\n"
    "Firecracker flags:\n"
    "  --config-file FILE   Firecracker JSON: boot-source, machine-config, drives,\n"
    "                       network-interfaces, logger, metrics, entropy\n"
    "  --no-api             no API socket: boot from the config file or the flags\n"
    "  --api-sock PATH      API socket (default /run/firecracker.socket)\n"
    "  --boot-timer         log Guest-boot-time on the boot-timer MMIO write\n"
    "  --level LEVEL        Error, Warning, Info (default), Debug, Trace or Off\n"
    "  --log-path FILE      log to FILE instead of stderr\n"
    "  --id ID              instance name in log lines\n"
    "  --show-level, --show-log-origin  level / file:line in log lines\n"
    "  --metrics-path PATH  metrics (JSON lines) to a file or FIFO\n"
    "  --no-seccomp         no seccomp filters\n"
    "  --http-api-max-payload-size N  largest API request body (default 51200)\n"
    "  --help, --version\n";

enum flag_id {
    F_CONFIG, F_NO_API, F_API_SOCK, F_BOOT_TIMER, F_LEVEL, F_LOG_PATH, F_ID, F_METRICS,
    F_NO_SECCOMP, F_SECCOMP, F_HELP, F_VERSION, F_IGNORED, F_SHOW_LEVEL, F_SHOW_ORIGIN,
    F_MAX_PAYLOAD, F_SECCOMP_VIOLATE,
    F_KERNEL, F_INITRD, F_CMDLINE, F_MEM, F_VCPUS, F_BOOT_PROTO, F_PIT, F_DRIVE, F_NET, F_RNG,
    F_NO_ACPI,
};

struct flag {
    const char *name;
    enum flag_id id;
    bool has_value;
};

static const struct flag flag_table[] = {
    { "--config-file", F_CONFIG, true },
    { "--no-api", F_NO_API, false },
    { "--api-sock", F_API_SOCK, true },
    { "--boot-timer", F_BOOT_TIMER, false },
    { "--level", F_LEVEL, true },
    { "--log-path", F_LOG_PATH, true },
    { "--id", F_ID, true },
    { "--metrics-path", F_METRICS, true },
    { "--no-seccomp", F_NO_SECCOMP, false },
    { "--seccomp-filter", F_SECCOMP, true },
    { "--help", F_HELP, false },
    { "-h", F_HELP, false },
    { "--version", F_VERSION, false },
    /* Firecracker flags the jailer or tools pass; accepted and not used. */
    { "--start-time-us", F_IGNORED, true },
    { "--start-time-cpu-us", F_IGNORED, true },
    { "--parent-cpu-time-us", F_IGNORED, true },
    { "--http-api-max-payload-size", F_MAX_PAYLOAD, true },
    { "--mmds-size-limit", F_IGNORED, true },
    { "--module", F_IGNORED, true },
    { "--show-level", F_SHOW_LEVEL, false },
    { "--show-log-origin", F_SHOW_ORIGIN, false },
    /* debug: the thread of that kind breaks its seccomp filter (tests) */
    { "--debug-seccomp-violation", F_SECCOMP_VIOLATE, true },
    /* motevm's short form */
    { "--kernel", F_KERNEL, true },
    { "--initrd", F_INITRD, true },
    { "--cmdline", F_CMDLINE, true },
    { "--mem", F_MEM, true },
    { "--vcpus", F_VCPUS, true },
    { "--boot-protocol", F_BOOT_PROTO, true },
    { "--pit", F_PIT, false },
    { "--drive", F_DRIVE, true },
    { "--net", F_NET, true },
    { "--rng", F_RNG, false },
    { "--no-acpi", F_NO_ACPI, false },
};
#define NFLAGS (sizeof(flag_table) / sizeof(flag_table[0]))

struct flag_use {
    const struct flag *f;
    const char *value;
};

static int errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Decimal integer in [lo, hi], nothing else in the string. */
static int parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

/* PATH[,ro][,root][,id=ID] */
static int parse_drive(struct vm_config *c, const char *spec, char *err, size_t errlen)
{
    if (c->ndrives == DRIVES_MAX)
        return errf(err, errlen, "--drive: too many drives (at most %d)", DRIVES_MAX);
    char *copy = strdup(spec), *save = NULL;
    struct drive_config *d = &c->drives[c->ndrives++];
    char id[16];
    int rc = 0;

    memset(d, 0, sizeof(*d));
    snprintf(id, sizeof(id), "drive%u", c->ndrives - 1);
    config_set_str(&d->id, id);
    config_set_str(&d->path, strtok_r(copy, ",", &save));
    for (char *opt; (opt = strtok_r(NULL, ",", &save));) {
        if (!strcmp(opt, "ro"))
            d->read_only = true;
        else if (!strcmp(opt, "root"))
            d->root = true;
        else if (!strncmp(opt, "id=", 3) && opt[3])
            config_set_str(&d->id, opt + 3);
        else {
            rc = errf(err, errlen, "--drive: unknown option \"%s\" (use ro, root, id=ID)", opt);
            break;
        }
    }
    if (!rc && (!d->path || spec[0] == ','))
        rc = errf(err, errlen, "--drive: missing path");
    free(copy);
    return rc;
}

/* TAP[,mac=MAC][,id=ID] */
static int parse_net(struct vm_config *c, const char *spec, char *err, size_t errlen)
{
    if (c->nnets == NETS_MAX)
        return errf(err, errlen, "--net: too many interfaces (at most %d)", NETS_MAX);
    char *copy = strdup(spec), *save = NULL;
    struct net_config *n = &c->nets[c->nnets++];
    char id[16];
    int rc = 0;

    memset(n, 0, sizeof(*n));
    snprintf(id, sizeof(id), "eth%u", c->nnets - 1);
    config_set_str(&n->id, id);
    config_set_str(&n->host_dev, strtok_r(copy, ",", &save));
    for (char *opt; (opt = strtok_r(NULL, ",", &save));) {
        if (!strncmp(opt, "mac=", 4)) {
            if (config_parse_mac(opt + 4, n->mac)) {
                rc = errf(err, errlen, "--net: mac must be like 06:00:ac:10:00:02, not \"%s\"",
                          opt + 4);
                break;
            }
            n->has_mac = true;
        } else if (!strncmp(opt, "id=", 3) && opt[3]) {
            config_set_str(&n->id, opt + 3);
        } else {
            rc = errf(err, errlen, "--net: unknown option \"%s\" (use mac=MAC, id=ID)", opt);
            break;
        }
    }
    if (!rc && (!n->host_dev || spec[0] == ','))
        rc = errf(err, errlen, "--net: missing tap device name");
    free(copy);
    return rc;
}

static int apply(struct vm_config *c, const struct flag_use *u, char *err, size_t errlen)
{
    const char *v = u->value, *name = u->f->name;
    unsigned long long n;
    int level;

    switch (u->f->id) {
    case F_CONFIG: case F_HELP: case F_VERSION: case F_IGNORED:
        break; /* handled before, or accepted and unused */
    case F_NO_API: c->opt.no_api = true; break;
    case F_API_SOCK: config_set_str(&c->opt.api_sock, v); break;
    case F_BOOT_TIMER: c->opt.boot_timer = true; break;
    case F_LOG_PATH: config_set_str(&c->opt.log_path, v); break;
    case F_ID: config_set_str(&c->opt.id, v); break;
    case F_METRICS: config_set_str(&c->opt.metrics_path, v); break;
    case F_NO_SECCOMP: c->opt.no_seccomp = true; break;
    case F_SECCOMP: config_set_str(&c->opt.seccomp_filter, v); break;
    case F_SHOW_LEVEL: c->opt.show_level = true; break;
    case F_SHOW_ORIGIN: c->opt.show_log_origin = true; break;
    case F_MAX_PAYLOAD:
        if (parse_uint(v, 1, 16u << 20, &n))
            return errf(err, errlen, "%s: must be an integer 1-16777216", name);
        c->opt.api_max_payload = n;
        break;
    case F_SECCOMP_VIOLATE:
        if (strcmp(v, "api") && strcmp(v, "vmm") && strcmp(v, "vcpu") && strcmp(v, "device"))
            return errf(err, errlen, "%s: must be api, vmm, vcpu or device", name);
        config_set_str(&c->opt.seccomp_violate, v);
        break;
    case F_LEVEL:
        if ((level = log_level_parse(v)) < 0)
            return errf(err, errlen, "%s: must be Error, Warning, Info, Debug, Trace or Off",
                        name);
        c->opt.log_level = level;
        break;
    case F_KERNEL:
        config_set_str(&c->kernel_path, v);
        c->opt.short_form = true;
        break;
    case F_INITRD: config_set_str(&c->initrd_path, v); break;
    case F_CMDLINE: config_set_str(&c->cmdline, v); break;
    case F_MEM:
        if (parse_uint(v, 1, MEM_MIB_MAX, &n))
            return errf(err, errlen, "%s: must be an integer 1-%u", name, MEM_MIB_MAX);
        c->mem_mib = n;
        break;
    case F_VCPUS:
        if (parse_uint(v, 1, VCPUS_MAX, &n))
            return errf(err, errlen, "%s: must be an integer 1-%d", name, VCPUS_MAX);
        c->vcpus = n;
        break;
    case F_BOOT_PROTO:
        if (!strcmp(v, "linux"))
            c->boot = BOOT_LINUX64;
        else if (!strcmp(v, "pvh"))
            c->boot = BOOT_PVH;
        else
            return errf(err, errlen, "%s: must be linux or pvh", name);
        break;
    case F_PIT: c->pit = true; break;
    case F_RNG: c->rng = true; break;
    case F_NO_ACPI: c->no_acpi = true; break;
    case F_DRIVE: return parse_drive(c, v, err, errlen);
    case F_NET: return parse_net(c, v, err, errlen);
    }
    return 0;
}

static const struct flag *find_flag(const char *arg, size_t len)
{
    for (size_t i = 0; i < NFLAGS; i++)
        if (strlen(flag_table[i].name) == len && !strncmp(flag_table[i].name, arg, len))
            return &flag_table[i];
    return NULL;
}

int flags_parse(int argc, char **argv, struct vm_config *c, enum flags_action *action, char *err,
                size_t errlen)
{
    struct flag_use uses[argc > 0 ? argc : 1];
    const char *config_file = NULL;
    int nuses = 0, rc;

    *action = FLAGS_RUN;
    /* Pass 1: recognise every flag and its value, so that a typo anywhere fails first. */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        if (arg[0] != '-')
            return errf(err, errlen, "%s: unexpected argument (flags start with --)", arg);
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const struct flag *f = find_flag(arg, len);
        if (!f)
            return errf(err, errlen, "%.*s: unknown flag (see --help)", (int)len, arg);
        const char *value = NULL;
        if (f->has_value) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            if (!value || !*value)
                return errf(err, errlen, "%s: missing value", f->name);
        } else if (eq) {
            return errf(err, errlen, "%s: takes no value", f->name);
        }
        if (f->id == F_HELP || f->id == F_VERSION) {
            *action = f->id == F_HELP ? FLAGS_HELP : FLAGS_VERSION;
            return 0;
        }
        if (f->id == F_CONFIG)
            config_file = value;
        uses[nuses++] = (struct flag_use){ f, value };
    }
    /* Pass 2: the config file, then the flags on top of it in command-line order. */
    if (config_file) {
        config_set_str(&c->opt.config_file, config_file);
        if ((rc = config_load_file(c, config_file, err, errlen)))
            return rc;
    }
    for (int i = 0; i < nuses; i++)
        if ((rc = apply(c, &uses[i], err, errlen)))
            return rc;
    return 0;
}
