/* libFuzzer target for the API's input path: bytes from a client go through the HTTP parser
 * (vmm/api/http.c) and every whole request through the resource handlers and their JSON
 * (vmm/api/resources.c, config_sections.c), then the body through the config-file parser too.
 * Built with clang -fsanitize=fuzzer,address,undefined by `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api/http.h"
#include "vmm/api/resources.h"
#include "vmm/config.h"
#include "vmm/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_op(void *ctx, char *err, size_t errlen)
{
    return 0;
}

static const struct api_ops ops = { NULL, fake_op, fake_op, fake_op, fake_op };

/* /logger and /metrics open the path in the body: not something to do with fuzzed names. */
static bool opens_files(const struct http_request *r)
{
    return (r->path_len >= 7 && !memcmp(r->path, "/logger", 7)) ||
           (r->path_len >= 8 && !memcmp(r->path, "/metrics", 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once;
    struct vm_config cfg;
    char err[CONFIG_ERR_MAX];

    if (!once) {
        log_init(LOG_OFF, 2, NULL);
        once = true;
    }
    config_init(&cfg);
    struct api_vmm v = { &cfg, API_NOT_STARTED, &ops };
    const char *buf = (const char *)data;
    size_t left = size;
    for (int i = 0; i < 8 && left; i++) {
        struct http_request r;
        const char *why;
        int n = http_parse(buf, left, 4096, &r, &why);
        if (n <= 0)
            break;
        if (!opens_files(&r)) {
            struct api_response resp;
            api_handle(&v, r.method, r.path, r.path_len, r.body, r.body_len, &resp);
            free(resp.body);
        }
        if (r.body_len) {
            char *body = malloc(r.body_len + 1);
            memcpy(body, r.body, r.body_len);
            body[r.body_len] = '\0';
            struct vm_config c2;
            config_init(&c2);
            config_parse_json(&c2, body, err, sizeof(err));
            config_free(&c2);
            free(body);
        }
        buf += n;
        left -= n;
    }
    config_free(&cfg);
    return 0;
}
