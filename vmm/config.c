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
}

static void drive_free(struct drive_config *d)
{
    free(d->id);
    free(d->path);
    free(d->partuuid);
    free(d->cache_type);
    free(d->io_engine);
}

void config_free(struct vm_config *c)
{
    char **strs[] = { &c->kernel_path, &c->initrd_path, &c->cmdline, &c->opt.config_file,
                      &c->opt.api_sock, &c->opt.log_path, &c->opt.id, &c->opt.metrics_path,
                      &c->opt.seccomp_filter };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    for (unsigned i = 0; i < c->ndrives; i++)
        drive_free(&c->drives[i]);
    for (unsigned i = 0; i < c->nnets; i++) {
        free(c->nets[i].id);
        free(c->nets[i].host_dev);
    }
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

/* ---- JSON field readers: each names the field (a path like drives[0].drive_id) on error. ---- */

struct jctx {
    char *err;
    size_t errlen;
    const char *where;      /* "machine-config", "drives[2]", ... */
};

static int jfail(const struct jctx *j, const char *key, const char *why)
{
    return errf(j->err, j->errlen, "%s.%s: %s", j->where, key, why);
}

/* Rejects keys not in the NULL-terminated list (Firecracker denies unknown fields). */
static int check_keys(const struct jctx *j, const cJSON *obj, const char *const *known)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        const char *const *k = known;
        while (*k && strcmp(*k, it->string))
            k++;
        if (!*k)
            return jfail(j, it->string, "unknown field");
    }
    return 0;
}

static int get_str(const struct jctx *j, const cJSON *obj, const char *key, bool required,
                   char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return required ? jfail(j, key, "required") : 0;
    if (!cJSON_IsString(v))
        return jfail(j, key, "must be a string");
    if (required && !*v->valuestring)
        return jfail(j, key, "must not be empty");
    config_set_str(out, v->valuestring);
    return 0;
}

static int get_bool(const struct jctx *j, const cJSON *obj, const char *key, bool required,
                    bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return required ? jfail(j, key, "required") : 0;
    if (!cJSON_IsBool(v))
        return jfail(j, key, "must be true or false");
    *out = cJSON_IsTrue(v);
    return 0;
}

/* An integer in [lo, hi]; range_msg is the whole complaint, e.g. "must be an integer 1-32". */
static int get_uint(const struct jctx *j, const cJSON *obj, const char *key, bool required,
                    uint64_t lo, uint64_t hi, const char *range_msg, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return required ? jfail(j, key, "required") : 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
        v->valuedouble < (double)lo || v->valuedouble > (double)hi)
        return jfail(j, key, range_msg);
    *out = (uint64_t)v->valuedouble;
    return 0;
}

/* A string that must be one of the NULL-terminated choices. */
static int get_enum(const struct jctx *j, const cJSON *obj, const char *key,
                    const char *const *choices, const char *msg, char **out)
{
    char *s = NULL;
    int rc = get_str(j, obj, key, false, &s);
    if (rc || !s)
        return rc;
    for (const char *const *c = choices; *c; c++) {
        if (!strcmp(*c, s)) {
            free(*out);
            *out = s;
            return 0;
        }
    }
    free(s);
    return jfail(j, key, msg);
}

static int want_object(const struct jctx *j, const cJSON *v)
{
    if (!cJSON_IsObject(v))
        return errf(j->err, j->errlen, "%s: must be an object", j->where);
    return 0;
}

/* ---- the four sections ---- */

static int parse_boot_source(struct vm_config *c, const cJSON *o, struct jctx *j)
{
    static const char *const keys[] = { "kernel_image_path", "boot_args", "initrd_path", NULL };
    int rc;
    if ((rc = want_object(j, o)) || (rc = check_keys(j, o, keys)) ||
        (rc = get_str(j, o, "kernel_image_path", true, &c->kernel_path)) ||
        (rc = get_str(j, o, "initrd_path", false, &c->initrd_path)))
        return rc;
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(o, "boot_args");
    if (!args || cJSON_IsNull(args))
        config_set_str(&c->cmdline, FC_DEFAULT_CMDLINE);
    else if ((rc = get_str(j, o, "boot_args", false, &c->cmdline)))
        return rc;
    return 0;
}

static int parse_machine(struct vm_config *c, const cJSON *o, struct jctx *j)
{
    static const char *const keys[] = { "vcpu_count", "mem_size_mib", "smt", "ht_enabled",
                                        "track_dirty_pages", "huge_pages", "cpu_template", NULL };
    static const char *const huge[] = { "None", "2M", NULL };
    static const char *const tmpl[] = { "None", "C3", "T2", "T2S", "T2CL", "T2A", NULL };
    char mem_msg[64], *hp = NULL, *ct = NULL;
    uint64_t vcpus = c->vcpus, mem = c->mem_mib;
    int rc;

    snprintf(mem_msg, sizeof(mem_msg), "must be an integer 1-%u", MEM_MIB_MAX);
    if ((rc = want_object(j, o)) || (rc = check_keys(j, o, keys)) ||
        (rc = get_uint(j, o, "vcpu_count", true, 1, VCPUS_MAX, "must be an integer 1-32",
                       &vcpus)) ||
        (rc = get_uint(j, o, "mem_size_mib", true, 1, MEM_MIB_MAX, mem_msg, &mem)) ||
        (rc = get_bool(j, o, "smt", false, &c->smt)) ||
        (rc = get_bool(j, o, "ht_enabled", false, &c->smt)) ||
        (rc = get_bool(j, o, "track_dirty_pages", false, &c->track_dirty_pages)) ||
        (rc = get_enum(j, o, "huge_pages", huge, "must be \"None\" or \"2M\"", &hp)) ||
        (rc = get_enum(j, o, "cpu_template", tmpl, "unknown CPU template", &ct)))
        goto out;
    c->vcpus = vcpus;
    c->mem_mib = mem;
    if (hp)
        c->huge_pages = !strcmp(hp, "2M");
    if (c->smt && c->vcpus > 1 && c->vcpus % 2)
        rc = jfail(j, "vcpu_count", "must be 1 or even when smt is true");
out:
    free(hp);
    free(ct);
    return rc;
}

static int parse_rate_limiter(const cJSON *o, struct jctx *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && !cJSON_IsNull(v) && !cJSON_IsObject(v))
        return jfail(j, key, "must be an object");
    return 0; /* accepted; rate limiting comes with the block and net devices */
}

static int parse_drive(struct vm_config *c, const cJSON *o, struct jctx *j)
{
    static const char *const keys[] = { "drive_id", "path_on_host", "is_root_device",
                                        "is_read_only", "partuuid", "cache_type", "io_engine",
                                        "rate_limiter", "socket", NULL };
    static const char *const caches[] = { "Unsafe", "Writeback", NULL };
    static const char *const engines[] = { "Sync", "Async", NULL };
    int rc;

    if (c->ndrives == DRIVES_MAX)
        return errf(j->err, j->errlen, "%s: too many drives (at most %d)", j->where, DRIVES_MAX);
    struct drive_config *d = &c->drives[c->ndrives++];
    memset(d, 0, sizeof(*d));
    if ((rc = want_object(j, o)) || (rc = check_keys(j, o, keys)) ||
        (rc = get_str(j, o, "drive_id", true, &d->id)) ||
        (rc = get_str(j, o, "path_on_host", true, &d->path)) ||
        (rc = get_bool(j, o, "is_root_device", true, &d->root)) ||
        (rc = get_bool(j, o, "is_read_only", false, &d->read_only)) ||
        (rc = get_str(j, o, "partuuid", false, &d->partuuid)) ||
        (rc = get_enum(j, o, "cache_type", caches, "must be \"Unsafe\" or \"Writeback\"",
                       &d->cache_type)) ||
        (rc = get_enum(j, o, "io_engine", engines, "must be \"Sync\" or \"Async\"",
                       &d->io_engine)) ||
        (rc = parse_rate_limiter(o, j, "rate_limiter")))
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(o, "socket"))
        return jfail(j, "socket", "vhost-user drives are not supported");
    return 0;
}

static int parse_net(struct vm_config *c, const cJSON *o, struct jctx *j)
{
    static const char *const keys[] = { "iface_id", "host_dev_name", "guest_mac",
                                        "rx_rate_limiter", "tx_rate_limiter", NULL };
    char *mac = NULL;
    int rc;

    if (c->nnets == NETS_MAX)
        return errf(j->err, j->errlen, "%s: too many interfaces (at most %d)", j->where,
                    NETS_MAX);
    struct net_config *n = &c->nets[c->nnets++];
    memset(n, 0, sizeof(*n));
    if ((rc = want_object(j, o)) || (rc = check_keys(j, o, keys)) ||
        (rc = get_str(j, o, "iface_id", true, &n->id)) ||
        (rc = get_str(j, o, "host_dev_name", true, &n->host_dev)) ||
        (rc = get_str(j, o, "guest_mac", false, &mac)) ||
        (rc = parse_rate_limiter(o, j, "rx_rate_limiter")) ||
        (rc = parse_rate_limiter(o, j, "tx_rate_limiter")))
        goto out;
    if (mac) {
        if (config_parse_mac(mac, n->mac))
            rc = jfail(j, "guest_mac", "must be a MAC address like 06:00:ac:10:00:02");
        n->has_mac = true;
    }
out:
    free(mac);
    return rc;
}

/* Firecracker's /entropy body: { "rate_limiter": {...} } (accepted, not applied). */
static int parse_entropy(struct vm_config *c, const cJSON *o, struct jctx *j)
{
    static const char *const keys[] = { "rate_limiter", NULL };
    int rc;
    if ((rc = want_object(j, o)) || (rc = check_keys(j, o, keys)) ||
        (rc = parse_rate_limiter(o, j, "rate_limiter")))
        return rc;
    c->rng = true;
    return 0;
}

typedef int (*item_parser)(struct vm_config *, const cJSON *, struct jctx *);

static int parse_array(struct vm_config *c, const cJSON *arr, struct jctx *j, item_parser fn)
{
    char where[64];
    const char *name = j->where;
    int i = 0, rc;
    const cJSON *it;

    if (!cJSON_IsArray(arr))
        return errf(j->err, j->errlen, "%s: must be an array", name);
    cJSON_ArrayForEach(it, arr) {
        snprintf(where, sizeof(where), "%s[%d]", name, i++);
        struct jctx item = { j->err, j->errlen, where };
        if ((rc = fn(c, it, &item)))
            return rc;
    }
    return 0;
}

static int parse_logger(struct vm_config *c, const cJSON *o, struct jctx *j)
{
    static const char *const keys[] = { "log_path", "level", "show_level", "show_log_origin",
                                        "module", NULL };
    char *level = NULL;
    int rc;
    if ((rc = want_object(j, o)) || (rc = check_keys(j, o, keys)) ||
        (rc = get_str(j, o, "log_path", false, &c->opt.log_path)) ||
        (rc = get_str(j, o, "level", false, &level)))
        goto out;
    if (level) {
        int l = log_level_parse(level);
        if (l < 0)
            rc = jfail(j, "level", "must be Error, Warning, Info, Debug, Trace or Off");
        else
            c->opt.log_level = l;
    }
out:
    free(level);
    return rc;
}

int config_parse_json(struct vm_config *c, const char *json, char *err, size_t errlen)
{
    /* Known Firecracker sections that motevm accepts but does not act on yet. */
    static const char *const later[] = { "metrics", "vsock", "balloon", "mmds-config",
                                         "cpu-config", NULL };
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
    cJSON_ArrayForEach(it, root) {
        struct jctx j = { err, errlen, it->string };
        const char *k = it->string;
        if (!strcmp(k, "boot-source"))
            rc = parse_boot_source(c, it, &j);
        else if (!strcmp(k, "machine-config"))
            rc = parse_machine(c, it, &j);
        else if (!strcmp(k, "drives"))
            rc = parse_array(c, it, &j, parse_drive);
        else if (!strcmp(k, "network-interfaces"))
            rc = parse_array(c, it, &j, parse_net);
        else if (!strcmp(k, "logger"))
            rc = parse_logger(c, it, &j);
        else if (!strcmp(k, "entropy"))
            rc = parse_entropy(c, it, &j);
        else {
            const char *const *l = later;
            while (*l && strcmp(*l, k))
                l++;
            if (!*l)
                rc = errf(err, errlen, "config file: unknown key \"%s\"", k);
            else
                log_msg(LOG_WARN, "config file: \"%s\" is not supported yet, ignored", k);
        }
        if (rc)
            break;
    }
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

static int check_file(const char *what, const char *path, bool want_regular, char *err,
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

static int check_drives(const struct vm_config *c, char *err, size_t errlen)
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
        int rc = check_file(what, d->path, false, err, errlen);
        if (rc)
            return rc;
        if (!d->read_only && access(d->path, W_OK))
            return errf(err, errlen, "%s %s: %s (a read-only drive needs is_read_only or ,ro)",
                        what, d->path, strerror(errno));
    }
    return 0;
}

static int check_nets(const struct vm_config *c, char *err, size_t errlen)
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
        return errf(err, errlen, "no kernel: give --kernel FILE or a config file with "
                                 "boot-source.kernel_image_path");
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
    if ((rc = check_file("kernel", c->kernel_path, true, err, errlen)))
        return rc;
    if (c->initrd_path && (rc = check_file("initrd", c->initrd_path, true, err, errlen)))
        return rc;
    if ((rc = check_drives(c, err, errlen)) || (rc = check_nets(c, err, errlen)))
        return rc;
    return 0;
}
