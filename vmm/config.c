/* struct vm_config: defaults, Firecracker's JSON config file (cJSON), and whole-config checks.
 * The JSON keys are those of Firecracker's swagger (src/firecracker/swagger/firecracker.yaml). */
#include "vmm/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot/layout.h"
#include "vmm/log.h"

void config_set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? strdup(src) : NULL;
    if (src && !*dst)
        abort(); /* out of memory before the VM exists: nothing sensible to do */
}

void config_init(struct vm_config *c)
{
    memset(c, 0, sizeof(*c));
    c->vcpus = 1;
    c->mem_mib = 128;
    config_set_str(&c->cmdline, "");
    c->opt.log_level = LOG_INFO;
    c->opt.show_level = true;
}

void config_drive_free(struct drive_config *d)
{
    free(d->id);
    free(d->path);
    free(d->partuuid);
    free(d->cache_type);
    free(d->io_engine);
    memset(d, 0, sizeof(*d));
}

void config_net_free(struct net_config *n)
{
    free(n->id);
    free(n->host_dev);
    memset(n, 0, sizeof(*n));
}

void config_free(struct vm_config *c)
{
    char **strs[] = { &c->kernel_path, &c->initrd_path, &c->cmdline, &c->opt.config_file,
                      &c->opt.api_sock, &c->opt.log_path, &c->opt.id, &c->opt.metrics_path,
                      &c->opt.seccomp_filter, &c->opt.log_module, &c->opt.seccomp_violate,
                      &c->cpu_template };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    for (unsigned i = 0; i < c->ndrives; i++)
        config_drive_free(&c->drives[i]);
    for (unsigned i = 0; i < c->nnets; i++)
        config_net_free(&c->nets[i]);
    memset(c, 0, sizeof(*c));
}

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

int config_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;

    if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
                                  &v[4], &v[5], &tail) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++) {
        const char *p = s + 3 * i;
        for (int k = 0; k < 2; k++) {
            char ch = p[k];
            if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
                return -EINVAL;
        }
        if (i < 5 && p[2] != ':')
            return -EINVAL;
        mac[i] = v[i];
    }
    return 0;
}

/* A config-file array ("drives", "network-interfaces"): each item through its section. */
static int parse_array(struct vm_config *c, const cJSON *arr, const char *name,
                       int (*fn)(struct vm_config *, const cJSON *, enum config_mode,
                                 const char *, const char *, char *, size_t),
                       char *err, size_t errlen)
{
    char where[64];
    int i = 0, rc;
    const cJSON *it;

    if (!cJSON_IsArray(arr))
        return errf(err, errlen, "%s: must be an array", name);
    cJSON_ArrayForEach(it, arr) {
        snprintf(where, sizeof(where), "%s[%d]", name, i++);
        if ((rc = fn(c, it, CONFIG_FILE, where, NULL, err, errlen)))
            return rc;
    }
    return 0;
}

static int parse_section(struct vm_config *c, const cJSON *it, char *err, size_t errlen)
{
    /* Known Firecracker sections that motevm accepts but does not act on yet. */
    static const char *const later[] = { "balloon", "mmds-config", "cpu-config", NULL };
    const char *k = it->string;
    int rc;

    if (!strcmp(k, "boot-source"))
        return config_boot_source(c, it, CONFIG_FILE, err, errlen);
    if (!strcmp(k, "machine-config"))
        return config_machine(c, it, false, err, errlen);
    if (!strcmp(k, "drives"))
        return parse_array(c, it, k, config_drive, err, errlen);
    if (!strcmp(k, "network-interfaces"))
        return parse_array(c, it, k, config_net, err, errlen);
    if (!strcmp(k, "logger"))
        return config_logger(c, it, err, errlen);
    if (!strcmp(k, "metrics"))
        return config_metrics(c, it, err, errlen);
    if (!strcmp(k, "entropy"))
        return config_entropy(c, it, err, errlen);
    if (!strcmp(k, "vsock")) {
        if ((rc = config_vsock(it, err, errlen)))
            return rc;
        log_msg(LOG_WARN, "config file: \"vsock\": no vsock device yet, ignored");
        return 0;
    }
    for (const char *const *l = later; *l; l++) {
        if (!strcmp(*l, k)) {
            log_msg(LOG_WARN, "config file: \"%s\" is not supported yet, ignored", k);
            return 0;
        }
    }
    return errf(err, errlen, "config file: unknown key \"%s\"", k);
}

int config_parse_json(struct vm_config *c, const char *json, char *err, size_t errlen)
{
    const char *end = NULL;
    int rc = 0;

    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    if (!root) {
        int line = 1;
        for (const char *p = json; end && p < end && *p; p++)
            line += *p == '\n';
        return errf(err, errlen, "config file: invalid JSON at line %d", line);
    }
    if (!cJSON_IsObject(root)) {
        rc = errf(err, errlen, "config file: must be a JSON object");
        goto out;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, root)
        if ((rc = parse_section(c, it, err, errlen)))
            break;
out:
    cJSON_Delete(root);
    return rc;
}

int config_load_file(struct vm_config *c, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errf(err, errlen, "config file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
        close(fd);
        return errf(err, errlen, "config file %s: not a regular file of at most 1 MiB", path);
    }
    char *text = malloc(st.st_size + 1);
    ssize_t n = text ? read(fd, text, st.st_size) : -1;
    close(fd);
    if (n != st.st_size) {
        free(text);
        return errf(err, errlen, "config file %s: cannot read", path);
    }
    text[n] = '\0';
    int rc = config_parse_json(c, text, err, errlen);
    free(text);
    return rc;
}

/* ---- whole-configuration checks ---- */

int config_check_file(const char *what, const char *path, bool want_regular, char *err,
                      size_t errlen)
{
    struct stat st;
    if (stat(path, &st))
        return errf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    if (want_regular ? !S_ISREG(st.st_mode) : !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
        return errf(err, errlen, "%s %s: not a regular file", what, path);
    if (access(path, R_OK))
        return errf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return 0;
}

int config_check_drives(const struct vm_config *c, char *err, size_t errlen)
{
    const char *root = NULL;
    for (unsigned i = 0; i < c->ndrives; i++) {
        const struct drive_config *d = &c->drives[i];
        char what[96];
        snprintf(what, sizeof(what), "drive \"%s\":", d->id);
        for (unsigned k = 0; k < i; k++)
            if (!strcmp(c->drives[k].id, d->id))
                return errf(err, errlen, "drive \"%s\": duplicate drive_id", d->id);
        if (d->root) {
            if (root)
                return errf(err, errlen, "drives: more than one root device (\"%s\" and \"%s\")",
                            root, d->id);
            root = d->id;
        }
        int rc = config_check_file(what, d->path, false, err, errlen);
        if (rc)
            return rc;
        if (!d->read_only && access(d->path, W_OK))
            return errf(err, errlen, "%s %s: %s (a read-only drive needs is_read_only or ,ro)",
                        what, d->path, strerror(errno));
    }
    return 0;
}

int config_check_nets(const struct vm_config *c, char *err, size_t errlen)
{
    for (unsigned i = 0; i < c->nnets; i++) {
        const struct net_config *n = &c->nets[i];
        if (strlen(n->host_dev) > IFNAME_MAX)
            return errf(err, errlen, "network interface \"%s\": host_dev_name longer than %d",
                        n->id, IFNAME_MAX);
        for (unsigned k = 0; k < i; k++) {
            const struct net_config *o = &c->nets[k];
            if (!strcmp(o->id, n->id))
                return errf(err, errlen, "network interface \"%s\": duplicate iface_id", n->id);
            if (!strcmp(o->host_dev, n->host_dev))
                return errf(err, errlen,
                            "network interface \"%s\": host_dev_name \"%s\" already used", n->id,
                            n->host_dev);
            if (n->has_mac && o->has_mac && !memcmp(n->mac, o->mac, 6))
                return errf(err, errlen, "network interface \"%s\": guest_mac already used",
                            n->id);
        }
    }
    return 0;
}

int config_validate(const struct vm_config *c, char *err, size_t errlen)
{
    int rc;

    if (!c->kernel_path)
        return errf(err, errlen, "no kernel: give --kernel FILE, a config file with "
                                 "boot-source.kernel_image_path, or PUT /boot-source");
    if (c->vcpus < 1 || c->vcpus > VCPUS_MAX)
        return errf(err, errlen, "machine-config.vcpu_count: must be an integer 1-32");
    if (c->mem_mib < 1 || c->mem_mib > MEM_MIB_MAX)
        return errf(err, errlen, "machine-config.mem_size_mib: must be an integer 1-%u",
                    MEM_MIB_MAX);
    if (c->huge_pages && c->mem_mib % 2)
        return errf(err, errlen, "machine-config.mem_size_mib: must be even with huge_pages 2M");
    size_t len = strlen(c->cmdline);
    if (len > CMDLINE_MAX - 1)
        return errf(err, errlen, "command line: too long (%zu bytes, at most %u)", len,
                    CMDLINE_MAX - 1);
    if ((rc = config_check_file("kernel", c->kernel_path, true, err, errlen)))
        return rc;
    if (c->initrd_path && (rc = config_check_file("initrd", c->initrd_path, true, err, errlen)))
        return rc;
    if ((rc = config_check_drives(c, err, errlen)) || (rc = config_check_nets(c, err, errlen)))
        return rc;
    return 0;
}
