/* Firecracker's API resources (swagger firecracker.yaml): routing and one handler per resource.
 * Runs on the VMM thread; reaches the machine only through struct api_ops, so the unit tests
 * drive every handler without KVM. Errors: 400 {"fault_message": "..."}; success: 204, or 200
 * with a JSON body for GETs. */
#ifndef VMM_API_RESOURCES_H
#define VMM_API_RESOURCES_H

#include <stddef.h>

#include "vmm/api/http.h"
#include "vmm/config.h"

#define API_FC_VERSION "1.10.0"     /* the Firecracker API whose semantics motevm follows */

enum api_state { API_NOT_STARTED, API_RUNNING, API_PAUSED };

/* What the handlers ask of the VMM. Each returns 0, or -errno with err set (the fault). */
struct api_ops {
    void *ctx;
    int (*start)(void *ctx, char *err, size_t errlen);          /* InstanceStart */
    int (*ctrl_alt_del)(void *ctx, char *err, size_t errlen);
    int (*pause)(void *ctx, char *err, size_t errlen);
    int (*resume)(void *ctx, char *err, size_t errlen);
    /* PATCH /drives path_on_host after start: the new medium for drive id. */
    int (*change_medium)(void *ctx, const char *id, const char *path, char *err, size_t errlen);
};

struct api_vmm {
    struct vm_config *cfg;
    enum api_state state;       /* the handlers set RUNNING after start, PAUSED/RUNNING */
    const struct api_ops *ops;
};

struct api_response {
    int status;                 /* 200, 204 or 400 */
    char *body;                 /* malloc'd JSON, or NULL */
    size_t body_len;
};

/* Handles one request. Never fails: every outcome is a response (free resp->body). */
void api_handle(struct api_vmm *v, enum http_method method, const char *path, size_t path_len,
                const char *body, size_t body_len, struct api_response *resp);

/* A 400 response {"fault_message": msg}. */
void api_fault(struct api_response *resp, const char *msg);

#endif
