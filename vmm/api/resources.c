/* Firecracker's API resources; see resources.h. Each handler applies its body through the same
 * config_* section function the config file uses (config_sections.c). */
#include "vmm/api/resources.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/json.h"
#include "vmm/log.h"
#include "vmm/metrics.h"

#define MSG_AFTER_START "The requested operation is not supported after starting the microVM."
#define MSG_BEFORE_START "The requested operation is not supported before starting the microVM."

struct req {
    struct api_vmm *v;
    const char *id;             /* the {id} path parameter, NUL-terminated */
    const cJSON *body;          /* PUT/PATCH: the parsed body */
    struct api_response *resp;
    char err[CONFIG_ERR_MAX];
};

typedef void (*handler_fn)(struct req *q);

struct route {
    const char *path;
    enum { EXACT, WITH_ID, FAMILY } kind;   /* "/x", "/x/{id}", "/x" and anything under it */
    handler_fn get, put, patch;
    int m_get, m_put, m_put_fail, m_patch, m_patch_fail;  /* metric ids, -1: none */
};

void api_fault(struct api_response *resp, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "fault_message", msg);
    free(resp->body);
    resp->status = 400;
    resp->body = cJSON_PrintUnformatted(o);
    resp->body_len = resp->body ? strlen(resp->body) : 0;
    cJSON_Delete(o);
}

static void ok(struct req *q)
{
    q->resp->status = 204;
}

static void ok_json(struct req *q, cJSON *o)
{
    q->resp->status = 200;
    q->resp->body = cJSON_PrintUnformatted(o);
    q->resp->body_len = q->resp->body ? strlen(q->resp->body) : 0;
    cJSON_Delete(o);
    if (!q->resp->body)
        api_fault(q->resp, "out of memory");
}

/* 204 when rc is 0, else the fault in q->err. */
static void done(struct req *q, int rc)
{
    if (rc)
        api_fault(q->resp, q->err);
    else
        ok(q);
}

static bool pre_boot(struct req *q)
{
    if (q->v->state == API_NOT_STARTED)
        return true;
    api_fault(q->resp, MSG_AFTER_START);
    return false;
}

static bool post_boot(struct req *q)
{
    if (q->v->state != API_NOT_STARTED)
        return true;
    api_fault(q->resp, MSG_BEFORE_START);
    return false;
}

/* ---- GET ---- */

static const char *state_name(enum api_state s)
{
    return s == API_RUNNING ? "Running" : s == API_PAUSED ? "Paused" : "Not started";
}

static void get_root(struct req *q)
{
    cJSON *o = cJSON_CreateObject();
    const char *id = q->v->cfg->opt.id ? q->v->cfg->opt.id : "anonymous-instance";
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "state", state_name(q->v->state));
    cJSON_AddStringToObject(o, "vmm_version", API_FC_VERSION);
    cJSON_AddStringToObject(o, "app_name", "Firecracker");
    ok_json(q, o);
}

static void get_version(struct req *q)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "firecracker_version", API_FC_VERSION);
    ok_json(q, o);
}

static void get_machine(struct req *q)
{
    ok_json(q, config_machine_json(q->v->cfg));
}

static void get_vm_config(struct req *q)
{
    ok_json(q, config_full_json(q->v->cfg));
}

/* ---- PUT / PATCH ---- */

static void put_boot_source(struct req *q)
{
    if (pre_boot(q))
        done(q, config_boot_source(q->v->cfg, q->body, CONFIG_API, q->err, sizeof(q->err)));
}

static void put_machine(struct req *q)
{
    if (pre_boot(q))
        done(q, config_machine(q->v->cfg, q->body, false, q->err, sizeof(q->err)));
}

static void patch_machine(struct req *q)
{
    if (pre_boot(q))
        done(q, config_machine(q->v->cfg, q->body, true, q->err, sizeof(q->err)));
}

static void put_drive(struct req *q)
{
    if (pre_boot(q))
        done(q, config_drive(q->v->cfg, q->body, CONFIG_API, "drives", q->id, q->err,
                             sizeof(q->err)));
}

static void patch_drive(struct req *q)
{
    char *path = NULL;
    if (!post_boot(q))
        return;
    int rc = config_drive_patch(q->v->cfg, q->body, q->id, &path, q->err, sizeof(q->err));
    if (!rc && json_has(q->body, "rate_limiter")) {
        snprintf(q->err, sizeof(q->err), "drives.rate_limiter: rate limiting is not implemented "
                                         "yet; nothing was changed");
        rc = -ENOTSUP;
    }
    if (!rc && path) {
        if (!q->v->ops->change_medium) {
            snprintf(q->err, sizeof(q->err), "drives: media change is not supported");
            rc = -ENOTSUP;
        } else if (!(rc = q->v->ops->change_medium(q->v->ops->ctx, q->id, path, q->err,
                                                    sizeof(q->err)))) {
            for (unsigned i = 0; i < q->v->cfg->ndrives; i++)
                if (!strcmp(q->v->cfg->drives[i].id, q->id))
                    config_set_str(&q->v->cfg->drives[i].path, path);
        }
    }
    free(path);
    done(q, rc);
}

static void put_net(struct req *q)
{
    if (pre_boot(q))
        done(q, config_net(q->v->cfg, q->body, CONFIG_API, "network-interfaces", q->id, q->err,
                           sizeof(q->err)));
}

static void patch_net(struct req *q)
{
    if (!post_boot(q))
        return;
    int rc = config_net_patch(q->v->cfg, q->body, q->id, q->err, sizeof(q->err));
    if (!rc) {
        /* The body can only carry rate limiters, which motevm does not apply yet. */
        snprintf(q->err, sizeof(q->err), "network-interfaces: rate limiting is not implemented "
                                         "yet; nothing was changed");
        rc = -ENOTSUP;
    }
    done(q, rc);
}

static void put_logger(struct req *q)
{
    struct run_options *o = &q->v->cfg->opt;
    int rc = config_logger(q->v->cfg, q->body, q->err, sizeof(q->err));
    if (!rc && json_has(q->body, "log_path")) {
        char why[400];
        if ((rc = log_open(o->log_path, why, sizeof(why))))
            snprintf(q->err, sizeof(q->err), "logger.log_path: %s", why);
    }
    if (!rc) {
        log_set_level(o->log_level);
        log_set_format(o->show_level, o->show_log_origin);
    }
    done(q, rc);
}

static void put_metrics(struct req *q)
{
    if (metrics_sink() >= 0) {
        api_fault(q->resp, "metrics: already configured (they can be set once)");
        return;
    }
    int rc = config_metrics(q->v->cfg, q->body, q->err, sizeof(q->err));
    if (!rc) {
        int fd = log_open_sink(q->v->cfg->opt.metrics_path);
        if (fd < 0) {
            snprintf(q->err, sizeof(q->err), "metrics.metrics_path: %s: %s",
                     q->v->cfg->opt.metrics_path, strerror(-fd));
            rc = fd;
        } else {
            metrics_set_sink(fd);
        }
    }
    done(q, rc);
}

static void put_entropy(struct req *q)
{
    if (pre_boot(q))
        done(q, config_entropy(q->v->cfg, q->body, q->err, sizeof(q->err)));
}

static void put_vsock(struct req *q)
{
    if (!pre_boot(q))
        return;
    int rc = config_vsock(q->body, q->err, sizeof(q->err));
    if (!rc) {
        snprintf(q->err, sizeof(q->err), "vsock device not implemented yet");
        rc = -ENOTSUP;
    }
    done(q, rc);
}

static int call_op(struct req *q, int (*op)(void *, char *, size_t))
{
    if (!op) {
        snprintf(q->err, sizeof(q->err), "not supported by this build");
        return -ENOTSUP;
    }
    return op(q->v->ops->ctx, q->err, sizeof(q->err));
}

static void put_actions(struct req *q)
{
    static const char *const keys[] = { "action_type", NULL };
    static const char *const types[] = { "InstanceStart", "SendCtrlAltDel", "FlushMetrics",
                                         NULL };
    struct jctx j = { q->err, sizeof(q->err), "actions" };
    char *type = NULL;
    int rc;

    if ((rc = json_want_object(&j, q->body, keys)) ||
        (rc = json_get_str(&j, q->body, "action_type", true, &type)) ||
        (rc = json_get_enum(&j, q->body, "action_type", types,
                            "must be InstanceStart, SendCtrlAltDel or FlushMetrics", &type)))
        goto out;
    if (!strcmp(type, "InstanceStart")) {
        if (!pre_boot(q))
            goto skip;
        if (!(rc = call_op(q, q->v->ops->start)))
            q->v->state = API_RUNNING;
    } else if (!strcmp(type, "SendCtrlAltDel")) {
        if (!post_boot(q))
            goto skip;
        rc = call_op(q, q->v->ops->ctrl_alt_del);
    } else {
        if ((rc = metrics_flush()) == -ENODEV)
            snprintf(q->err, sizeof(q->err), "metrics: not configured (PUT /metrics first, or "
                                             "--metrics-path)");
        else if (rc)
            snprintf(q->err, sizeof(q->err), "metrics: cannot write: %s", strerror(-rc));
    }
out:
    done(q, rc);
skip:
    free(type);
}

static void patch_vm(struct req *q)
{
    static const char *const keys[] = { "state", NULL };
    static const char *const states[] = { "Paused", "Resumed", NULL };
    struct jctx j = { q->err, sizeof(q->err), "vm" };
    char *state = NULL;
    int rc;

    if (!post_boot(q))
        return;
    if (!(rc = json_want_object(&j, q->body, keys)) &&
        !(rc = json_get_str(&j, q->body, "state", true, &state)) &&
        !(rc = json_get_enum(&j, q->body, "state", states, "must be Paused or Resumed",
                             &state))) {
        bool pause = !strcmp(state, "Paused");
        rc = call_op(q, pause ? q->v->ops->pause : q->v->ops->resume);
        if (!rc)
            q->v->state = pause ? API_PAUSED : API_RUNNING;
    }
    free(state);
    done(q, rc);
}

static void not_yet(struct req *q, const char *what)
{
    snprintf(q->err, sizeof(q->err), "%s not implemented yet", what);
    api_fault(q->resp, q->err);
}

static void any_mmds(struct req *q) { not_yet(q, "MMDS is"); }
static void any_balloon(struct req *q) { not_yet(q, "balloon device"); }
static void any_snapshot(struct req *q) { not_yet(q, "snapshots are"); }
static void any_cpu_config(struct req *q) { not_yet(q, "cpu-config is"); }

#define M(g, n) M_##g##__##n
#define NO -1
static const struct route routes[] = {
    { "/", EXACT, get_root, NULL, NULL, M(get_api_requests, instance_info_count), NO, NO, NO, NO },
    { "/version", EXACT, get_version, NULL, NULL,
      M(get_api_requests, vmm_version_count), NO, NO, NO, NO },
    { "/vm/config", EXACT, get_vm_config, NULL, NULL,
      M(get_api_requests, vm_config_count), NO, NO, NO, NO },
    { "/machine-config", EXACT, get_machine, put_machine, patch_machine,
      M(get_api_requests, machine_cfg_count), M(put_api_requests, machine_cfg_count),
      M(put_api_requests, machine_cfg_fails), M(patch_api_requests, machine_cfg_count),
      M(patch_api_requests, machine_cfg_fails) },
    { "/boot-source", EXACT, NULL, put_boot_source, NULL, NO,
      M(put_api_requests, boot_source_count), M(put_api_requests, boot_source_fails), NO, NO },
    { "/drives", WITH_ID, NULL, put_drive, patch_drive, NO, M(put_api_requests, drive_count),
      M(put_api_requests, drive_fails), M(patch_api_requests, drive_count),
      M(patch_api_requests, drive_fails) },
    { "/network-interfaces", WITH_ID, NULL, put_net, patch_net, NO,
      M(put_api_requests, network_count), M(put_api_requests, network_fails),
      M(patch_api_requests, network_count), M(patch_api_requests, network_fails) },
    { "/actions", EXACT, NULL, put_actions, NULL, NO, M(put_api_requests, actions_count),
      M(put_api_requests, actions_fails), NO, NO },
    { "/logger", EXACT, NULL, put_logger, NULL, NO, M(put_api_requests, logger_count),
      M(put_api_requests, logger_fails), NO, NO },
    { "/metrics", EXACT, NULL, put_metrics, NULL, NO, M(put_api_requests, metrics_count),
      M(put_api_requests, metrics_fails), NO, NO },
    { "/entropy", EXACT, NULL, put_entropy, NULL, NO, M(put_api_requests, entropy_count),
      M(put_api_requests, entropy_fails), NO, NO },
    { "/vsock", EXACT, NULL, put_vsock, NULL, NO, M(put_api_requests, vsock_count),
      M(put_api_requests, vsock_fails), NO, NO },
    { "/vm", EXACT, NULL, NULL, patch_vm, NO, NO, NO, M(patch_api_requests, vm_count),
      M(patch_api_requests, vm_fails) },
    { "/mmds", FAMILY, any_mmds, any_mmds, any_mmds, M(get_api_requests, mmds_count),
      M(put_api_requests, mmds_count), M(put_api_requests, mmds_fails),
      M(patch_api_requests, mmds_count), M(patch_api_requests, mmds_fails) },
    { "/balloon", FAMILY, any_balloon, any_balloon, any_balloon, NO,
      M(put_api_requests, balloon_count), M(put_api_requests, balloon_fails),
      M(patch_api_requests, balloon_count), M(patch_api_requests, balloon_fails) },
    { "/snapshot", FAMILY, NULL, any_snapshot, NULL, NO, NO, NO, NO, NO },
    { "/cpu-config", EXACT, NULL, any_cpu_config, NULL, NO, NO, NO, NO, NO },
};

/* Matches path against r; for WITH_ID routes copies the id into id[idlen]. */
static bool route_match(const struct route *r, const char *path, size_t len, char *id,
                        size_t idlen)
{
    size_t n = strlen(r->path);
    if (len < n || memcmp(path, r->path, n))
        return false;
    if (len == n)
        return r->kind != WITH_ID;
    if (path[n] != '/' || r->kind == EXACT)
        return false;
    if (r->kind == FAMILY)
        return true;
    const char *s = path + n + 1;
    size_t sl = len - n - 1;
    if (!sl || sl >= idlen || memchr(s, '/', sl))
        return false;
    memcpy(id, s, sl);
    id[sl] = '\0';
    return true;
}

static void count(int id)
{
    if (id >= 0)
        metric_inc(id);
}

void api_handle(struct api_vmm *v, enum http_method method, const char *path, size_t path_len,
                const char *body, size_t body_len, struct api_response *resp)
{
    struct req q = { .v = v, .resp = resp };
    const struct route *r = NULL;
    char id[256];
    handler_fn fn = NULL;
    cJSON *json = NULL;

    memset(resp, 0, sizeof(*resp));
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && !r; i++)
        if (route_match(&routes[i], path, path_len, id, sizeof(id)))
            r = &routes[i];
    if (r)
        fn = method == HTTP_GET ? r->get : method == HTTP_PUT ? r->put
           : method == HTTP_PATCH ? r->patch : NULL;
    if (!fn) {
        snprintf(q.err, sizeof(q.err), "Invalid request method and/or path: %s %.*s.",
                 http_method_name(method), (int)(path_len > 200 ? 200 : path_len), path);
        api_fault(resp, q.err);
        return;
    }
    q.id = id;
    if (method == HTTP_GET)
        count(r->m_get);
    else
        count(method == HTTP_PUT ? r->m_put : r->m_patch);
    if (method != HTTP_GET && r->kind != FAMILY) {
        const char *end = NULL;
        if (!body_len) {
            api_fault(resp, "The request body is empty; a JSON object is required.");
            goto out;
        }
        json = cJSON_ParseWithLengthOpts(body, body_len, &end, false);
        while (json && end < body + body_len && strchr(" \t\r\n", *end))
            end++;
        if (!json || end != body + body_len) {
            snprintf(q.err, sizeof(q.err), "The request body is not valid JSON (at byte %ld).",
                     end ? (long)(end - body) : 0L);
            api_fault(resp, q.err);
            goto out;
        }
        q.body = json;
    }
    fn(&q);
out:
    if (resp->status == 400 && method != HTTP_GET)
        count(method == HTTP_PUT ? r->m_put_fail : r->m_patch_fail);
    cJSON_Delete(json);
}
