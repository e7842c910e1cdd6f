/* Field readers for Firecracker's JSON bodies and config sections; see json.h. */
#include "vmm/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int json_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int json_fail(const struct jctx *j, const char *key, const char *why)
{
    return json_errf(j->err, j->errlen, "%s.%s: %s", j->where, key, why);
}

int json_want_object(const struct jctx *j, const cJSON *o, const char *const *known)
{
    const cJSON *it;
    if (!cJSON_IsObject(o))
        return json_errf(j->err, j->errlen, "%s: must be an object", j->where);
    cJSON_ArrayForEach(it, o) {
        const char *const *k = known;
        while (*k && strcmp(*k, it->string))
            k++;
        if (!*k)
            return json_fail(j, it->string, "unknown field");
    }
    return 0;
}

bool json_has(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return v && !cJSON_IsNull(v);
}

int json_get_str(const struct jctx *j, const cJSON *o, const char *key, bool required,
                 char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return required ? json_fail(j, key, "required") : 0;
    if (!cJSON_IsString(v))
        return json_fail(j, key, "must be a string");
    if (required && !*v->valuestring)
        return json_fail(j, key, "must not be empty");
    char *s = strdup(v->valuestring);
    if (!s)
        return json_errf(j->err, j->errlen, "%s: out of memory", j->where);
    free(*out);
    *out = s;
    return 0;
}

int json_get_bool(const struct jctx *j, const cJSON *o, const char *key, bool required,
                  bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return required ? json_fail(j, key, "required") : 0;
    if (!cJSON_IsBool(v))
        return json_fail(j, key, "must be true or false");
    *out = cJSON_IsTrue(v);
    return 0;
}

int json_get_uint(const struct jctx *j, const cJSON *o, const char *key, bool required,
                  uint64_t lo, uint64_t hi, const char *range_msg, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return required ? json_fail(j, key, "required") : 0;
    /* Compare as doubles first: casting an out-of-range double to an integer is undefined. */
    if (!cJSON_IsNumber(v) || v->valuedouble < (double)lo || v->valuedouble > (double)hi ||
        v->valuedouble != (double)(uint64_t)v->valuedouble)
        return json_fail(j, key, range_msg);
    *out = (uint64_t)v->valuedouble;
    return 0;
}

int json_get_enum(const struct jctx *j, const cJSON *o, const char *key,
                  const char *const *choices, const char *msg, char **out)
{
    char *s = NULL;
    int rc = json_get_str(j, o, key, false, &s);
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
    return json_fail(j, key, msg);
}

static int check_bucket(const struct jctx *j, const cJSON *b, const char *key)
{
    static const char *const keys[] = { "size", "refill_time", "one_time_burst", NULL };
    char where[160];
    uint64_t v;
    int rc;

    if (snprintf(where, sizeof(where), "%s.%s", j->where, key) >= (int)sizeof(where))
        where[sizeof(where) - 1] = '\0'; /* a truncated name still says where */
    struct jctx bj = { j->err, j->errlen, where };
    const char *msg = "must be an integer >= 0";
    if ((rc = json_want_object(&bj, b, keys)) ||
        (rc = json_get_uint(&bj, b, "size", true, 0, INT64_MAX, msg, &v)) ||
        (rc = json_get_uint(&bj, b, "refill_time", true, 0, INT64_MAX, msg, &v)) ||
        (rc = json_get_uint(&bj, b, "one_time_burst", false, 0, INT64_MAX, msg, &v)))
        return rc;
    return 0;
}

int json_check_rate_limiter(const struct jctx *j, const cJSON *o, const char *key)
{
    static const char *const keys[] = { "bandwidth", "ops", NULL };
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(o, key);
    char where[160];
    int rc;

    if (!rl || cJSON_IsNull(rl))
        return 0;
    if (snprintf(where, sizeof(where), "%s.%s", j->where, key) >= (int)sizeof(where))
        where[sizeof(where) - 1] = '\0';
    struct jctx rj = { j->err, j->errlen, where };
    if ((rc = json_want_object(&rj, rl, keys)))
        return rc;
    for (int i = 0; keys[i]; i++) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(rl, keys[i]);
        if (b && !cJSON_IsNull(b) && (rc = check_bucket(&rj, b, keys[i])))
            return rc;
    }
    return 0;
}
