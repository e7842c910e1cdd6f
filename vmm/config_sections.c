/* Firecracker's config sections and API bodies, one function each (config.h): the config file
 * and the REST API apply them through the same code. Keys: swagger firecracker.yaml. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/config.h"
#include "vmm/json.h"
#include "vmm/log.h"

int config_boot_source(struct vm_config *c, const cJSON *o, enum config_mode m, char *err,
                       size_t errlen)
{
    static const char *const keys[] = { "kernel_image_path", "boot_args", "initrd_path", NULL };
    struct jctx j = { err, errlen, "boot-source" };
    char *kernel = NULL, *initrd = NULL, *args = NULL;
    int rc;

    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_get_str(&j, o, "kernel_image_path", true, &kernel)) ||
        (rc = json_get_str(&j, o, "initrd_path", false, &initrd)) ||
        (rc = json_get_str(&j, o, "boot_args", false, &args)))
        goto out;
    if (m == CONFIG_API &&
        ((rc = config_check_file("kernel", kernel, true, err, errlen)) ||
         (initrd && (rc = config_check_file("initrd", initrd, true, err, errlen)))))
        goto out;
    if (!args)
        config_set_str(&args, FC_DEFAULT_CMDLINE);
    /* PUT replaces the whole boot source: an absent initrd_path removes the initrd. */
    free(c->kernel_path);
    free(c->initrd_path);
    free(c->cmdline);
    c->kernel_path = kernel;
    c->initrd_path = initrd;
    c->cmdline = args;
    return 0;
out:
    free(kernel);
    free(initrd);
    free(args);
    return rc;
}

int config_machine(struct vm_config *c, const cJSON *o, bool patch, char *err, size_t errlen)
{
    static const char *const keys[] = { "vcpu_count", "mem_size_mib", "smt", "ht_enabled",
                                        "track_dirty_pages", "huge_pages", "cpu_template", NULL };
    static const char *const huge[] = { "None", "2M", NULL };
    static const char *const tmpl[] = { "None", "C3", "T2", "T2S", "T2CL", "T2A", "V1N1", NULL };
    struct jctx j = { err, errlen, "machine-config" };
    char mem_msg[64], *hp = NULL, *ct = NULL;
    /* PUT: absent optional fields go back to their defaults; PATCH: they keep their values. */
    uint64_t vcpus = c->vcpus, mem = c->mem_mib;
    bool smt = patch && c->smt, dirty = patch && c->track_dirty_pages;
    bool huge_pages = patch && c->huge_pages;
    int rc;

    snprintf(mem_msg, sizeof(mem_msg), "must be an integer 1-%u", MEM_MIB_MAX);
    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_get_uint(&j, o, "vcpu_count", !patch, 1, VCPUS_MAX,
                            "must be an integer 1-32", &vcpus)) ||
        (rc = json_get_uint(&j, o, "mem_size_mib", !patch, 1, MEM_MIB_MAX, mem_msg, &mem)) ||
        (rc = json_get_bool(&j, o, "smt", false, &smt)) ||
        (rc = json_get_bool(&j, o, "ht_enabled", false, &smt)) ||
        (rc = json_get_bool(&j, o, "track_dirty_pages", false, &dirty)) ||
        (rc = json_get_enum(&j, o, "huge_pages", huge, "must be \"None\" or \"2M\"", &hp)) ||
        (rc = json_get_enum(&j, o, "cpu_template", tmpl, "unknown CPU template", &ct)))
        goto out;
    if (hp)
        huge_pages = !strcmp(hp, "2M");
    if (smt && vcpus > 1 && vcpus % 2) {
        rc = json_fail(&j, "vcpu_count", "must be 1 or even when smt is true");
        goto out;
    }
    if (huge_pages && mem % 2) {
        rc = json_fail(&j, "mem_size_mib", "must be even with huge_pages 2M");
        goto out;
    }
    c->vcpus = vcpus;
    c->mem_mib = mem;
    c->smt = smt;
    c->track_dirty_pages = dirty;
    c->huge_pages = huge_pages;
    if (ct || !patch) {
        free(c->cpu_template);
        c->cpu_template = ct;
        ct = NULL;
    }
out:
    free(hp);
    free(ct);
    return rc;
}

static int find_drive(const struct vm_config *c, const char *id)
{
    for (unsigned i = 0; i < c->ndrives; i++)
        if (!strcmp(c->drives[i].id, id))
            return i;
    return -1;
}

static int find_net(const struct vm_config *c, const char *id)
{
    for (unsigned i = 0; i < c->nnets; i++)
        if (!strcmp(c->nets[i].id, id))
            return i;
    return -1;
}

static int path_id_matches(const struct jctx *j, const char *key, const char *body_id,
                           const char *path_id)
{
    if (path_id && strcmp(body_id, path_id))
        return json_errf(j->err, j->errlen,
                         "%s: %s \"%s\" in the body does not match \"%s\" in the path", j->where,
                         key, body_id, path_id);
    return 0;
}

/* API mode: the new drive d against the others (not the one it replaces, at index self). */
static int check_new_drive(const struct vm_config *c, const struct drive_config *d, int self,
                           const struct jctx *j)
{
    if (d->root)
        for (unsigned i = 0; i < c->ndrives; i++)
            if ((int)i != self && c->drives[i].root)
                return json_errf(j->err, j->errlen, "%s: a root device already exists (\"%s\")",
                                 j->where, c->drives[i].id);
    char what[96];
    snprintf(what, sizeof(what), "drive \"%s\":", d->id);
    int rc = config_check_file(what, d->path, false, j->err, j->errlen);
    if (!rc && !d->read_only && access(d->path, W_OK))
        rc = json_errf(j->err, j->errlen, "%s %s: %s (a read-only drive needs is_read_only)",
                       what, d->path, strerror(errno));
    return rc;
}

int config_drive(struct vm_config *c, const cJSON *o, enum config_mode m, const char *where,
                 const char *path_id, char *err, size_t errlen)
{
    static const char *const keys[] = { "drive_id", "path_on_host", "is_root_device",
                                        "is_read_only", "partuuid", "cache_type", "io_engine",
                                        "rate_limiter", "socket", NULL };
    static const char *const caches[] = { "Unsafe", "Writeback", NULL };
    static const char *const engines[] = { "Sync", "Async", NULL };
    struct jctx j = { err, errlen, where };
    struct drive_config d = { 0 };
    int rc, at = -1;

    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_get_str(&j, o, "drive_id", true, &d.id)) ||
        (rc = path_id_matches(&j, "drive_id", d.id, path_id)))
        goto fail;
    if (json_has(o, "socket")) {
        rc = json_fail(&j, "socket", "vhost-user drives are not supported");
        goto fail;
    }
    if ((rc = json_get_str(&j, o, "path_on_host", true, &d.path)) ||
        (rc = json_get_bool(&j, o, "is_root_device", true, &d.root)) ||
        (rc = json_get_bool(&j, o, "is_read_only", false, &d.read_only)) ||
        (rc = json_get_str(&j, o, "partuuid", false, &d.partuuid)) ||
        (rc = json_get_enum(&j, o, "cache_type", caches, "must be \"Unsafe\" or \"Writeback\"",
                            &d.cache_type)) ||
        (rc = json_get_enum(&j, o, "io_engine", engines, "must be \"Sync\" or \"Async\"",
                            &d.io_engine)) ||
        (rc = json_check_rate_limiter(&j, o, "rate_limiter")))
        goto fail;
    if (m == CONFIG_API) {
        at = find_drive(c, d.id);
        if ((rc = check_new_drive(c, &d, at, &j)))
            goto fail;
    }
    if (at < 0) {
        if (c->ndrives == DRIVES_MAX) {
            rc = json_errf(err, errlen, "%s: too many drives (at most %d)", where, DRIVES_MAX);
            goto fail;
        }
        at = c->ndrives++;
    } else {
        config_drive_free(&c->drives[at]);
    }
    c->drives[at] = d;
    return 0;
fail:
    config_drive_free(&d);
    return rc;
}

int config_net(struct vm_config *c, const cJSON *o, enum config_mode m, const char *where,
               const char *path_id, char *err, size_t errlen)
{
    static const char *const keys[] = { "iface_id", "host_dev_name", "guest_mac",
                                        "rx_rate_limiter", "tx_rate_limiter", NULL };
    struct jctx j = { err, errlen, where };
    struct net_config n = { 0 };
    char *mac = NULL;
    int rc, at = -1;

    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_get_str(&j, o, "iface_id", true, &n.id)) ||
        (rc = path_id_matches(&j, "iface_id", n.id, path_id)) ||
        (rc = json_get_str(&j, o, "host_dev_name", true, &n.host_dev)) ||
        (rc = json_get_str(&j, o, "guest_mac", false, &mac)) ||
        (rc = json_check_rate_limiter(&j, o, "rx_rate_limiter")) ||
        (rc = json_check_rate_limiter(&j, o, "tx_rate_limiter")))
        goto fail;
    if (mac) {
        if (config_parse_mac(mac, n.mac)) {
            rc = json_fail(&j, "guest_mac", "must be a MAC address like 06:00:ac:10:00:02");
            goto fail;
        }
        n.has_mac = true;
    }
    if (m == CONFIG_API) {
        at = find_net(c, n.id);
        if (strlen(n.host_dev) > IFNAME_MAX) {
            rc = json_fail(&j, "host_dev_name", "longer than 15 characters");
            goto fail;
        }
        for (unsigned i = 0; i < c->nnets; i++) {
            const struct net_config *x = &c->nets[i];
            if ((int)i == at)
                continue;
            if (!strcmp(x->host_dev, n.host_dev)) {
                rc = json_fail(&j, "host_dev_name", "already used by another interface");
                goto fail;
            }
            if (n.has_mac && x->has_mac && !memcmp(x->mac, n.mac, 6)) {
                rc = json_fail(&j, "guest_mac", "already used by another interface");
                goto fail;
            }
        }
    }
    if (at < 0) {
        if (c->nnets == NETS_MAX) {
            rc = json_errf(err, errlen, "%s: too many interfaces (at most %d)", where,
                           NETS_MAX);
            goto fail;
        }
        at = c->nnets++;
    } else {
        config_net_free(&c->nets[at]);
    }
    c->nets[at] = n;
    free(mac);
    return 0;
fail:
    free(mac);
    config_net_free(&n);
    return rc;
}

int config_drive_patch(const struct vm_config *c, const cJSON *o, const char *path_id,
                       char **new_path, char *err, size_t errlen)
{
    static const char *const keys[] = { "drive_id", "path_on_host", "rate_limiter", NULL };
    struct jctx j = { err, errlen, "drives" };
    char *id = NULL;
    int rc;

    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_get_str(&j, o, "drive_id", true, &id)) ||
        (rc = path_id_matches(&j, "drive_id", id, path_id)) ||
        (rc = json_get_str(&j, o, "path_on_host", false, new_path)) ||
        (rc = json_check_rate_limiter(&j, o, "rate_limiter")))
        goto out;
    if (find_drive(c, id) < 0)
        rc = json_errf(err, errlen, "drives: no drive \"%s\"", id);
    else if (*new_path)
        rc = config_check_file("drive", *new_path, false, err, errlen);
out:
    free(id);
    return rc;
}

int config_net_patch(const struct vm_config *c, const cJSON *o, const char *path_id, char *err,
                     size_t errlen)
{
    static const char *const keys[] = { "iface_id", "rx_rate_limiter", "tx_rate_limiter",
                                        NULL };
    struct jctx j = { err, errlen, "network-interfaces" };
    char *id = NULL;
    int rc;

    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_get_str(&j, o, "iface_id", true, &id)) ||
        (rc = path_id_matches(&j, "iface_id", id, path_id)) ||
        (rc = json_check_rate_limiter(&j, o, "rx_rate_limiter")) ||
        (rc = json_check_rate_limiter(&j, o, "tx_rate_limiter")))
        goto out;
    if (find_net(c, id) < 0)
        rc = json_errf(err, errlen, "network-interfaces: no interface \"%s\"", id);
out:
    free(id);
    return rc;
}

int config_logger(struct vm_config *c, const cJSON *o, char *err, size_t errlen)
{
    static const char *const keys[] = { "log_path", "level", "show_level", "show_log_origin",
                                        "module", NULL };
    struct jctx j = { err, errlen, "logger" };
    char *level = NULL, *path = NULL, *module = NULL;
    bool show_level = c->opt.show_level, origin = c->opt.show_log_origin;
    int rc, l = c->opt.log_level;

    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_get_str(&j, o, "log_path", false, &path)) ||
        (rc = json_get_str(&j, o, "level", false, &level)) ||
        (rc = json_get_bool(&j, o, "show_level", false, &show_level)) ||
        (rc = json_get_bool(&j, o, "show_log_origin", false, &origin)) ||
        (rc = json_get_str(&j, o, "module", false, &module)))
        goto out;
    if (level && (l = log_level_parse(level)) < 0) {
        rc = json_fail(&j, "level", "must be Error, Warning, Info, Debug, Trace or Off");
        goto out;
    }
    c->opt.log_level = l;
    c->opt.show_level = show_level;
    c->opt.show_log_origin = origin;
    if (path)
        config_set_str(&c->opt.log_path, path);
    if (module)
        config_set_str(&c->opt.log_module, module);
out:
    free(level);
    free(path);
    free(module);
    return rc;
}

int config_metrics(struct vm_config *c, const cJSON *o, char *err, size_t errlen)
{
    static const char *const keys[] = { "metrics_path", NULL };
    struct jctx j = { err, errlen, "metrics" };
    char *path = NULL;
    int rc;
    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_get_str(&j, o, "metrics_path", true, &path)))
        return rc;
    free(c->opt.metrics_path);
    c->opt.metrics_path = path;
    return 0;
}

int config_entropy(struct vm_config *c, const cJSON *o, char *err, size_t errlen)
{
    static const char *const keys[] = { "rate_limiter", NULL };
    struct jctx j = { err, errlen, "entropy" };
    int rc;
    if ((rc = json_want_object(&j, o, keys)) ||
        (rc = json_check_rate_limiter(&j, o, "rate_limiter")))
        return rc;
    c->rng = true;
    return 0;
}

int config_vsock(const cJSON *o, char *err, size_t errlen)
{
    static const char *const keys[] = { "guest_cid", "uds_path", "vsock_id", NULL };
    struct jctx j = { err, errlen, "vsock" };
    char *path = NULL, *id = NULL;
    uint64_t cid;
    int rc = json_want_object(&j, o, keys);
    if (!rc)
        rc = json_get_uint(&j, o, "guest_cid", true, 3, UINT32_MAX,
                           "must be an integer 3-4294967295", &cid);
    if (!rc)
        rc = json_get_str(&j, o, "uds_path", true, &path);
    if (!rc)
        rc = json_get_str(&j, o, "vsock_id", false, &id);
    free(path);
    free(id);
    return rc;
}

/* ---- documents for GET ---- */

cJSON *config_machine_json(const struct vm_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "vcpu_count", c->vcpus);
    cJSON_AddNumberToObject(o, "mem_size_mib", (double)c->mem_mib);
    cJSON_AddBoolToObject(o, "smt", c->smt);
    cJSON_AddBoolToObject(o, "track_dirty_pages", c->track_dirty_pages);
    cJSON_AddStringToObject(o, "huge_pages", c->huge_pages ? "2M" : "None");
    if (c->cpu_template && strcmp(c->cpu_template, "None"))
        cJSON_AddStringToObject(o, "cpu_template", c->cpu_template);
    return o;
}

static void add_str_or_null(cJSON *o, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *config_full_json(const struct vm_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNullToObject(o, "balloon");
    cJSON *drives = cJSON_AddArrayToObject(o, "drives");
    for (unsigned i = 0; i < c->ndrives; i++) {
        const struct drive_config *d = &c->drives[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "drive_id", d->id);
        add_str_or_null(x, "partuuid", d->partuuid);
        cJSON_AddBoolToObject(x, "is_root_device", d->root);
        cJSON_AddStringToObject(x, "cache_type", d->cache_type ? d->cache_type : "Unsafe");
        cJSON_AddBoolToObject(x, "is_read_only", d->read_only);
        cJSON_AddStringToObject(x, "path_on_host", d->path);
        cJSON_AddNullToObject(x, "rate_limiter");
        cJSON_AddStringToObject(x, "io_engine", d->io_engine ? d->io_engine : "Sync");
        cJSON_AddNullToObject(x, "socket");
        cJSON_AddItemToArray(drives, x);
    }
    if (c->kernel_path) {
        cJSON *b = cJSON_AddObjectToObject(o, "boot-source");
        cJSON_AddStringToObject(b, "kernel_image_path", c->kernel_path);
        add_str_or_null(b, "initrd_path", c->initrd_path);
        cJSON_AddStringToObject(b, "boot_args", c->cmdline);
    } else {
        cJSON_AddNullToObject(o, "boot-source");
    }
    cJSON_AddNullToObject(o, "cpu-config");
    cJSON_AddNullToObject(o, "logger");
    cJSON_AddItemToObject(o, "machine-config", config_machine_json(c));
    cJSON_AddNullToObject(o, "metrics");
    cJSON_AddNullToObject(o, "mmds-config");
    cJSON *nets = cJSON_AddArrayToObject(o, "network-interfaces");
    for (unsigned i = 0; i < c->nnets; i++) {
        const struct net_config *n = &c->nets[i];
        cJSON *x = cJSON_CreateObject();
        char mac[18];
        cJSON_AddStringToObject(x, "iface_id", n->id);
        cJSON_AddStringToObject(x, "host_dev_name", n->host_dev);
        if (n->has_mac) {
            snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
                     n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
            cJSON_AddStringToObject(x, "guest_mac", mac);
        }
        cJSON_AddNullToObject(x, "rx_rate_limiter");
        cJSON_AddNullToObject(x, "tx_rate_limiter");
        cJSON_AddItemToArray(nets, x);
    }
    cJSON_AddNullToObject(o, "vsock");
    if (c->rng)
        cJSON_AddNullToObject(cJSON_AddObjectToObject(o, "entropy"), "rate_limiter");
    else
        cJSON_AddNullToObject(o, "entropy");
    return o;
}
